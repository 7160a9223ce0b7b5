// The contract's routes on /processes: thin handlers over the supervisor.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { hostname } from 'node:os';
import { chooseNode } from '../fleet/placement.js';
import type { FleetNode } from '../fleet/fleetMembership.js';
import type { ProcessReading } from '../supervisor/managedProcess.js';
import { definitionBytesOf } from '../core/definitionBytes.js';
import { wireStateOf } from '../core/processModel.js';
import { changedDefinition, initialStart, newProcessOf } from './processDefinitionOf.js';
import { DEFAULT_PARTITION } from '../core/partition.js';
import { PartitionNotFoundError, ProcessInvalidError, ProcessNotFoundError, RequestInvalidError } from '../errors/sigmaErrors.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { entityTagOf, entityTagOfChunks, sendTagged } from './entityTags.js';
import { jsonListChunks, jsonListStream } from './jsonListStream.js';
import { operationResultOf } from './operationResult.js';
import { LINK_HEADER, nextPageUrl, pageOf } from './pageLinks.js';
import { ListAnswers } from './listAnswers.js';
import { processAnswerOf, processJsonOf } from './processJson.js';
import { processView } from './processView.js';
import { canSee, confinedTo, outOfScope } from './requestScope.js';
import { errorResponses } from './schemas/errorResponses.js';
import type { FleetRouting, ListedItem } from './fleetRouting.js';
import {
  CreateProcessBody,
  ListQuery,
  OperationBody,
  OperationResultList,
  ProcessIdParams,
  ProcessList,
  ProcessSchema,
  UpdateProcessBody,
} from './schemas/processSchemas.js';

export interface ProcessRoutesOptions {
  readonly supervisor: Supervisor;
  readonly partitionExists: (name: string) => boolean;
  readonly clock: () => number;
  readonly maxDefinitionBytes: number;
  /** The lowest nice value this node lets a job be given. */
  readonly lowestNice: number;
  /** In a fleet: how this node answers for the others; null on its own. */
  readonly fleet: FleetRouting | null;
}

const TAGS = ['processes'];
/** One object for the life of the daemon: Fastify keeps the serializer it compiles for it. */
const PROCESS_SERIALIZATION: Readonly<Record<string, unknown>> = { ...ProcessSchema };

export const processRoutes: FastifyPluginAsyncTypebox<ProcessRoutesOptions> = async (app, { supervisor, partitionExists, clock, maxDefinitionBytes, lowestNice, fleet }) => {
  const listAnswers = new ListAnswers('processes');
  /** A priority this node cannot give is refused now, not found out at the first spawn. */
  const checkNice = (nice: number | null): void => {
    if (nice === null || nice >= lowestNice) return;
    throw new ProcessInvalidError(
      `"nice": ${nice} raises the priority further than this node allows (the lowest it allows is ${lowestNice}; lower values need root, CAP_SYS_NICE or a higher RLIMIT_NICE)`,
    );
  };
  const checkDefinitionSize = (command: readonly string[] | undefined, env: Readonly<Record<string, string>> | undefined): void => {
    const bytes = definitionBytesOf(command, env);
    if (bytes > maxDefinitionBytes) {
      throw new ProcessInvalidError(`"command" and "env" take ${bytes} bytes; at most ${maxDefinitionBytes} are allowed (--max-definition-bytes)`);
    }
  };
  /**
   * In a fleet, a request about a process this node does not have goes to the node that owns it,
   * and its answer is the answer (null: this node answers). A change waits for etcd.
   */
  const answeredElsewhere = async (request: FastifyRequest, reply: FastifyReply, processId: number, kind: 'read' | 'change'): Promise<FastifyReply | null> => {
    if (!fleet) return null;
    if (kind === 'change') fleet.requireReachable();
    if (fleet.forwarded(request) || supervisor.find(processId) !== null) return null;
    return fleet.answerForOwner(request, reply, processId, kind);
  };
  /** In a fleet, the process as it is after a change, recorded in etcd. */
  const recordChange = async (request: FastifyRequest, reply: FastifyReply, reading: ProcessReading): Promise<void> => {
    if (!fleet) return;
    const json = processJsonOf(reading, reply.compileSerializationSchema(PROCESS_SERIALIZATION));
    await fleet.recordAfterChange(reading.definition.id, json, (error) => request.log.warn({ err: error }, 'the change is not recorded in etcd yet: it will be at the next join'));
  };
  app.get(
    '/processes',
    {
      schema: {
        tags: TAGS,
        summary: 'List processes',
        description:
          'Every process on the node, by id (for a partition token: those of its partition). With `process_name`, the process of that name (404 if there is none). `state`, `type` and `partition` filter the list; `limit` and `after` read it a page at a time (a Link header with rel=\"next\" names the next page while more follow). Up to 8 MiB it is sent with a Content-Length, from bytes the daemon keeps while the processes listed do not change; larger, it is sent in chunks (Transfer-Encoding: chunked) as the client reads it, so that a list of any size is answered. Its ETag is of the bytes sent: with If-None-Match holding it, 304 without a body. In a fleet (--fleet), every node\'s processes, merged by id, each with `node`, `nodeStatus` and `relocatable` (a node that is down: its processes as etcd last recorded them).',
        querystring: ListQuery,
        response: { 200: { ...ProcessList, description: 'The processes.', headers: LINK_HEADER }, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { process_name: name, state, type, partition, limit, after } = request.query;
      // A partition a node of the fleet has is listed from any node, which may not have it itself.
      const fleetWide = fleet !== null && !fleet.forwarded(request);
      if (partition !== undefined && !((partitionExists(partition) || fleetWide) && canSee(request, partition))) throw new PartitionNotFoundError(partition);
      let readings = supervisor.list();
      if (name !== undefined) {
        const found = supervisor.findByName(name);
        const visible = found !== null && canSee(request, found.definition.partition);
        if (!visible && !fleetWide) throw new ProcessNotFoundError(`name "${name}"`);
        readings = visible ? [found] : [];
      }
      const only = partition ?? confinedTo(request);
      if (only !== null) readings = readings.filter((reading) => reading.definition.partition === only);
      const wanted = state === 'SUSPENDED' ? 'SUSPENDEND' : state;
      const matching = readings.filter(
        (reading) =>
          (!wanted || wireStateOf(reading.snapshot.runtime) === wanted) && (!type || reading.definition.spec.type === type) && (after === undefined || reading.definition.id > after),
      );
      // Serialized by the route's own schema, item by item: the same bytes as one serialized list.
      const serializeProcess = reply.compileSerializationSchema(PROCESS_SERIALIZATION);
      reply.type('application/json; charset=utf-8');
      if (fleet && fleetWide) {
        const own = matching.map((reading): ListedItem => ({ id: reading.definition.id, json: fleet.decorate(processJsonOf(reading, serializeProcess), reading.definition.id) }));
        const keep = (process: Readonly<Record<string, unknown>>): boolean =>
          canSee(request, String(process.partition)) &&
          (partition ?? confinedTo(request) ?? process.partition) === process.partition &&
          (name === undefined || process.name === name) &&
          (!wanted || process.state === wanted) &&
          (!type || process.type === type) &&
          (after === undefined || Number(process.id) > after);
        const others = await fleet.othersList(request, keep);
        const merged = [...own, ...others.items].sort((a, b) => a.id - b.id);
        if (name !== undefined && merged.length === 0) throw new ProcessNotFoundError(`name "${name}"`);
        const page = limit === undefined ? merged : pageOf(request, reply, merged, limit, (item) => item.id);
        if (limit !== undefined && others.more && page.length === merged.length && page.length > 0) reply.header('Link', `<${nextPageUrl(request.url, (page.at(-1) as ListedItem).id)}>; rel="next"`);
        const body = Buffer.from(`{"processes":[${page.map((item) => item.json).join(',')}]}\n`, 'utf8');
        return sendTagged(request, reply, entityTagOf(body), body);
      }
      const listed = limit === undefined ? matching : pageOf(request, reply, matching, limit, (reading) => reading.definition.id);
      const items = listed.map((reading) => (fleet ? fleet.decorate(processJsonOf(reading, serializeProcess), reading.definition.id) : processJsonOf(reading, serializeProcess)));
      const kept = listAnswers.answerFor(`${confinedTo(request) ?? ''} ${request.url}`, items);
      if (kept) return sendTagged(request, reply, kept.tag, kept.body);
      // Too large to hold as one buffer: streamed. The tag is of the bytes the stream will send:
      // the items are fixed, so a first pass hashes exactly what the second sends.
      const tag = entityTagOfChunks(jsonListChunks('processes', items, (item) => item));
      return sendTagged(request, reply, tag, jsonListStream('processes', items, (item) => item));
    },
  );

  app.post(
    '/processes',
    {
      schema: {
        tags: TAGS,
        summary: 'Create a process',
        description:
          'Creates a process, DORMANT unless `state` is READY or RUNNING, which also starts it (the answer shows the state reached), in `partition` (default: `default`, or the partition of the token sent; a partition token creates only in its own, 403 elsewhere). Answers 201 with a Location header. In a fleet: on the node named by `node`, else on the least loaded up node with the `placement` labels and the partition (409 SIGMA_ERR_NO_NODE_MATCHES when none fits); 503 while etcd is out of reach.',
        body: CreateProcessBody,
        response: { 201: { ...ProcessList, description: 'The new process.' }, ...errorResponses(400, 401, 403, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const startNow = initialStart(body.state);
      const partition = body.partition ?? confinedTo(request) ?? DEFAULT_PARTITION;
      const definition = newProcessOf(body, partition, clock());
      checkDefinitionSize(body.command, body.env);
      checkNice(body.nice ?? null);
      if (!canSee(request, partition)) throw outOfScope(request, `create processes in partition "${partition}"`);
      const asked = { node: body.node, labels: body.placement?.labels, partition, relocatable: body.relocatable };
      // On its own, a node places nothing: a node other than itself, or a label, is refused; relocatable is moot.
      if (!fleet) chooseNode([aloneAsNode(partition)], { ...asked, relocatable: false });
      let id: number | null = null;
      if (fleet) {
        fleet.requireReachable();
        if (!fleet.forwarded(request)) {
          const target = await fleet.placement(asked);
          if (target) return fleet.relay(request, reply, target, { ...body, node: target.name });
        } else {
          // Sent on by another node, or by a client saying so: this node must fit it all the same.
          fleet.checkPlacedHere(asked);
        }
        id = await fleet.processes.reserve(body.name, partition, fleet.nodeName, body.relocatable ?? false, body.placement?.labels ?? {});
      }
      const reading = await supervisor.create(definition, startNow, id === null ? null : { id, relocatable: body.relocatable ?? false }).catch(async (error: unknown) => {
        // Not made: the id and the name reserved in the fleet are given back.
        if (fleet && id !== null && supervisor.find(id) === null) await fleet.processes.release(id, body.name).catch(() => undefined);
        throw error;
      });
      reply.code(201).header('Location', `/processes/${reading.definition.id}`);
      if (!fleet) return { processes: [processView(reading)] };
      const json = reply.compileSerializationSchema(PROCESS_SERIALIZATION)(processView(reading)) as string;
      await fleet.recordAfterChange(reading.definition.id, json, (error) => request.log.warn({ err: error }, 'the new process is not recorded in etcd yet: it will be at the next join'));
      return reply.type('application/json; charset=utf-8').send(Buffer.from(`{"processes":[${fleet.decorate(json, reading.definition.id)}]}\n`, 'utf8') as never);
    },
  );

  app.get(
    '/processes/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Get a process',
        description: 'The process with this id. In a fleet, from any node: the owner\'s answer (a node that is down: the process as etcd last recorded it, `nodeStatus` down).',
        params: ProcessIdParams,
        response: { 200: { ...ProcessList, description: 'The process, alone in the array.' }, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      if (fleet) {
        const elsewhere = await answeredElsewhere(request, reply, request.params.id, 'read');
        if (elsewhere) return elsewhere;
        const reading = supervisor.get(request.params.id);
        const json = fleet.decorate(processJsonOf(reading, reply.compileSerializationSchema(PROCESS_SERIALIZATION)), reading.definition.id);
        const body = Buffer.from(`{"processes":[${json}]}\n`, 'utf8');
        return sendTagged(request, reply.type('application/json; charset=utf-8'), entityTagOf(body), body);
      }
      // The route's serialization of its one process, and its tag: made once per change of it.
      const { body, tag } = processAnswerOf(supervisor.get(request.params.id), reply.compileSerializationSchema(PROCESS_SERIALIZATION));
      return sendTagged(request, reply.type('application/json; charset=utf-8'), tag, body);
    },
  );

  app.put(
    '/processes/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Perform an operation on a process',
        description:
          'START, SUSPEND, RESUME or STOP. Idempotent: the result is OK when the process is in the operation\'s target condition afterwards, whether or not anything had to change, and FAILED (state unchanged, with a reason) otherwise. STOP answers once the job\'s whole process group is gone. While a job a previous daemon left running is being ended, every operation is FAILED with a reason that starts with "busy:".',
        params: ProcessIdParams,
        body: OperationBody,
        response: { 200: { ...OperationResultList, description: 'The result of the operation.' }, ...errorResponses(400, 401, 404, 413, 503) },
      },
    },
    async (request, reply) => {
      const elsewhere = await answeredElsewhere(request, reply, request.params.id, 'change');
      if (elsewhere) return elsewhere;
      // The schema lets exactly one of the two through.
      const { delayMs } = request.body;
      const operation = request.body.operation ?? request.body.type;
      if (!operation || (request.body.operation && request.body.type)) throw new RequestInvalidError('send {"operation": "START" | "SUSPEND" | "RESUME" | "STOP"}');
      if (delayMs !== undefined && operation !== 'START') {
        throw new RequestInvalidError(`"delayMs" is only for START (a delayed start); ${operation} takes none`);
      }
      const answer = await supervisor.operate(request.params.id, operation, delayMs ?? null);
      await recordChange(request, reply, answer.process);
      return { processes: [operationResultOf(answer)] };
    },
  );

  app.patch(
    '/processes/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Change the definition of a process',
        description:
          'Changes what the process runs and how (type, period, command, cwd, env, stopTimeoutMs); fields not sent keep their value. Only while DORMANT (409 otherwise: STOP it, change it, START it again). The id, name, counters and run history stay.',
        params: ProcessIdParams,
        body: UpdateProcessBody,
        response: { 200: { ...ProcessList, description: 'The process as now defined.' }, ...errorResponses(400, 401, 404, 409, 413, 503) },
      },
    },
    async (request, reply) => {
      const elsewhere = await answeredElsewhere(request, reply, request.params.id, 'change');
      if (elsewhere) return elsewhere;
      const body = request.body;
      if (body.command?.[0] === '') throw new ProcessInvalidError('"command" must start with the program to run, not an empty string');
      const reading = await supervisor.update(request.params.id, (current) => {
        const changed = changedDefinition(current, body);
        checkDefinitionSize(changed.command, changed.env);
        checkNice(changed.nice);
        return changed;
      });
      await recordChange(request, reply, reading);
      return { processes: [processView(reading)] };
    },
  );

  app.delete(
    '/processes/:id',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a process',
        description:
          'Ends a live job first (as STOP), then removes the process, its run history and its logs. 204 with an empty body. 409 SIGMA_ERR_PROCESS_BUSY while a job a previous daemon left running is being ended.',
        params: ProcessIdParams,
        response: { 204: { type: 'null', description: 'Deleted.' }, ...errorResponses(400, 401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const elsewhere = await answeredElsewhere(request, reply, request.params.id, 'change');
      if (elsewhere) return elsewhere;
      const name = fleet ? supervisor.get(request.params.id).definition.name : null;
      fleet?.processes.leave(request.params.id);
      await supervisor.delete(request.params.id).catch((error: unknown) => {
        fleet?.processes.stay(request.params.id);
        throw error;
      });
      if (fleet && name !== null) {
        await fleet.processes.release(request.params.id, name).catch((error: unknown) => request.log.warn({ err: error }, 'the deleted process is still in etcd: it is removed at the next join'));
      }
      return reply.code(204).send(null);
    },
  );
};

/** A node started without --fleet, as placement sees it: its host name, no labels. */
function aloneAsNode(partition: string): FleetNode {
  return { name: hostname(), url: '', labels: {}, fingerprint: null, launcher: 'native', status: 'up', runningJobs: 0, partitions: [partition] };
}
