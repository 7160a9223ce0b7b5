import { describe, expect, it } from 'vitest';
import { DocumentCheck } from '../support/documentCheck.js';

const document = {
  openapi: '3.1.0',
  paths: {
    '/processes/{id}': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { $ref: '#/components/schemas/Process' } } } },
          '404': { content: { 'application/json': { schema: { type: 'object', required: ['code'], properties: { code: { type: 'string' } } } } } },
        },
      },
    },
  },
  components: {
    schemas: {
      Process: { type: 'object', required: ['id', 'state'], properties: { id: { type: 'integer' }, state: { enum: ['DORMANT', 'RUNNING'] } } },
    },
  },
};

describe('the check of answers against the OpenAPI document', () => {
  const check = new DocumentCheck(document);
  const JSON_TYPE = 'application/json; charset=utf-8';

  it('passes a declared status with a body its schema takes (components resolved), and a path it has no operation for', () => {
    expect(check.mismatch('GET', '/processes/7?x=1', 200, JSON_TYPE, { id: 7, state: 'RUNNING' })).toBeNull();
    expect(check.mismatch('GET', '/processes/7/', 404, JSON_TYPE, { code: 'SIGMA_ERR_PROCESS_NOT_FOUND' })).toBeNull();
    expect(check.mismatch('HEAD', '/processes/7', 200, undefined, undefined)).toBeNull();
    expect(check.mismatch('GET', '/nope', 418, JSON_TYPE, {})).toBeNull();
  });

  it('fails a status the operation does not declare', () => {
    expect(check.mismatch('GET', '/processes/7', 409, JSON_TYPE, { code: 'X' })).toMatch(/answered 409, which the document does not declare \(it declares 200, 404\)/);
  });

  it('fails a body the declared schema refuses, naming where', () => {
    expect(check.mismatch('GET', '/processes/7', 200, JSON_TYPE, { id: 7, state: 'SUSPENDED' })).toMatch(/\/state must be equal to one of the allowed values/);
    expect(check.mismatch('GET', '/processes/7', 200, JSON_TYPE, { state: 'DORMANT' })).toMatch(/must have required property 'id'/);
  });
});
