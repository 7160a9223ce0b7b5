// GET /nodes: the fleet's members as etcd holds them, each up or down (docs/fleet.md).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { NodeDirectory } from '../fleet/fleetMembership.js';
import { errorResponses } from './schemas/errorResponses.js';

const FleetNodeSchema = Type.Object(
  {
    name: Type.String({ description: 'The node\'s --node-name.' }),
    url: Type.String({ description: 'Where the node serves the API.' }),
    labels: Type.Record(Type.String(), Type.String(), { description: 'Its --node-label pairs.' }),
    fingerprint: Type.Union([Type.String(), Type.Null()], { description: "SHA-256 of the node's TLS certificate (pin it), null over plain HTTP." }),
    launcher: Type.Union([Type.Literal('native'), Type.Literal('in-process')], {
      description: 'Where its jobs run (GET /node): a relocatable process is only put on a node with the native launcher, whose fence ends its job when the daemon is gone.',
    }),
    status: Type.Union([Type.Literal('up'), Type.Literal('down')], {
      description: 'up: its lease in etcd is alive; down: it has not renewed it for a few seconds (it died, or lost etcd).',
    }),
    runningJobs: Type.Union([Type.Integer(), Type.Null()], { description: 'Jobs running on it, as it last said; null while down.' }),
    partitions: Type.Array(Type.String(), { description: 'Its partitions, as it last said; empty while down.' }),
  },
  { title: 'FleetNode', additionalProperties: false },
);

export type FleetNodeJson = Static<typeof FleetNodeSchema>;

const NodesSchema = Type.Object(
  {
    fleet: Type.Union([Type.Literal('connected'), Type.Literal('unreachable'), Type.Null()], {
      description: 'unreachable: etcd did not answer, the list is what this node last read; null: a node started without --fleet, which lists itself.',
    }),
    nodes: Type.Array(FleetNodeSchema),
  },
  { title: 'FleetNodeList', additionalProperties: false },
);

export const fleetRoutes: FastifyPluginAsyncTypebox<{ directory: NodeDirectory }> = async (app, { directory }) => {
  app.get(
    '/nodes',
    {
      schema: {
        tags: ['system'],
        summary: "The fleet's nodes",
        description: 'Every node that ever joined the fleet this node is in, up or down, with its URL, labels, certificate fingerprint and load; a node started without --fleet lists itself. Node token only.',
        response: { 200: NodesSchema, ...errorResponses(401, 403) },
      },
    },
    async () => {
      const { nodes, fresh } = await directory.nodes();
      const fleet = directory.nodeName === null ? null : fresh ? ('connected' as const) : ('unreachable' as const);
      return { fleet, nodes: nodes.map((node) => ({ ...node, partitions: [...node.partitions] })).sort((a, b) => a.name.localeCompare(b.name)) };
    },
  );
};
