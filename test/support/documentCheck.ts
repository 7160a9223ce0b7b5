// Every answer a test gets from a daemon, checked against the OpenAPI document that daemon serves:
// its status must be one the operation declares, and a JSON body must match the schema declared
// for that status. So the whole integration suite replays its exchanges through a validator of the
// document, and a status or body the document does not tell fails the test that met it.
import { createHash } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

interface Operation {
  readonly pattern: RegExp;
  readonly template: string;
  readonly method: string;
  readonly statuses: ReadonlySet<string>;
  /** The JSON body's schema per status, as a pointer into the document. */
  readonly jsonSchemas: ReadonlyMap<string, string>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>>;
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);
const DOCUMENT_ID = 'https://sigma.invalid/openapi.json';

const escapePointer = (segment: string): string => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class DocumentCheck {
  private readonly operations: Operation[] = [];
  private readonly ajv = new Ajv2020({ strict: false, allErrors: false, validateFormats: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(document: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(document as object, DOCUMENT_ID);
    for (const [template, item] of Object.entries(document.paths)) {
      const pattern = new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const [method, operation] of Object.entries(item)) {
        if (!METHODS.has(method)) continue;
        const jsonSchemas = new Map<string, string>();
        for (const [status, response] of Object.entries(operation.responses ?? {})) {
          const json = Object.keys(response.content ?? {}).find((type) => type.startsWith('application/json'));
          if (json !== undefined && response.content?.[json]?.schema !== undefined) {
            jsonSchemas.set(status, `${DOCUMENT_ID}#/paths/${escapePointer(template)}/${method}/responses/${status}/content/${escapePointer(json)}/schema`);
          }
        }
        this.operations.push({ pattern, template, method: method.toUpperCase(), statuses: new Set(Object.keys(operation.responses ?? {})), jsonSchemas });
      }
    }
  }

  /** What is wrong with this exchange by the document, or null (also for a path or method the document has no operation for). */
  mismatch(method: string, path: string, status: number, contentType: string | undefined, body: unknown): string | null {
    const pathOnly = (path.split('?', 1)[0] ?? '').replace(/(.)\/+$/, '$1');
    const asked = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
    const operation = this.operations.find((candidate) => candidate.method === asked && candidate.pattern.test(pathOnly));
    if (!operation) return null;
    const where = `${method} ${path} (${operation.method} ${operation.template})`;
    const statusKey = String(status);
    if (!operation.statuses.has(statusKey) && !operation.statuses.has('default')) {
      return `${where} answered ${status}, which the document does not declare (it declares ${[...operation.statuses].join(', ')})`;
    }
    if (method.toUpperCase() === 'HEAD' || body === undefined || !contentType?.startsWith('application/json')) return null;
    const pointer = operation.jsonSchemas.get(statusKey);
    if (pointer === undefined) return `${where} answered ${status} with a JSON body the document does not describe`;
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: pointer });
      this.compiled.set(pointer, validate);
    }
    if (validate(body)) return null;
    const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''}`).join('; ');
    return `${where} answered ${status} with a body the document's schema refuses: ${errors}; body: ${JSON.stringify(body).slice(0, 300)}`;
  }
}

/** One check per document text: the daemons of one build serve the same document. */
const checks = new Map<string, DocumentCheck>();

export function documentCheckOf(documentText: string): DocumentCheck {
  const key = createHash('sha1').update(documentText).digest('hex');
  let check = checks.get(key);
  if (!check) {
    check = new DocumentCheck(JSON.parse(documentText) as OpenApiDocument);
    checks.set(key, check);
  }
  return check;
}
