// GET /node: what the daemon found about the node at start, such as how it tracks its jobs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { JobTracking } from '../runtime/jobCgroups.js';
import type { LimitSupport } from '../runtime/partitionLimits.js';
import { errorResponses } from './schemas/errorResponses.js';

const NodeSchema = Type.Object(
  {
    jobTracking: Type.Object(
      {
        mode: Type.Union([Type.Literal('cgroup-v2'), Type.Literal('cgroup-v1'), Type.Literal('process-group')], {
          description:
            'cgroup-v2 or cgroup-v1: every job in a cgroup of its own (SUSPEND and STOP reach what left its process group); process-group: no cgroup could be made, jobs are followed by process group and environment mark.',
        }),
        cgroup: Type.Union([Type.String(), Type.Null()], { description: "The daemon's parent cgroup of its jobs' cgroups, null without cgroups." }),
        reason: Type.String({ description: 'What was found at start, or why cgroups are not used.' }),
      },
      { additionalProperties: false },
    ),
    partitionLimits: Type.Object(
      {
        cpu: Type.Union([Type.String(), Type.Null()], { description: 'Null when partitions\' cpu limits hold on this node; else why they cannot.' }),
        memoryBytes: Type.Union([Type.String(), Type.Null()], { description: 'Null when partitions\' memory limits hold on this node; else why they cannot.' }),
        pids: Type.Union([Type.String(), Type.Null()], { description: 'Null when partitions\' task limits hold on this node; else why they cannot.' }),
      },
      { additionalProperties: false, description: 'Which partition limits this node can enforce (maxRunning always holds).' },
    ),
  },
  { additionalProperties: false, description: 'The node as the daemon found it at start.' },
);

export const nodeRoutes: FastifyPluginAsyncTypebox<{ jobTracking: JobTracking; limitSupport: LimitSupport }> = async (
  app,
  { jobTracking, limitSupport },
) => {
  const body = {
    jobTracking: { mode: jobTracking.mode, cgroup: jobTracking.parentPath, reason: jobTracking.reason },
    partitionLimits: { cpu: limitSupport.cpu, memoryBytes: limitSupport.memoryBytes, pids: limitSupport.pids },
  };
  app.get(
    '/node',
    {
      schema: {
        tags: ['system'],
        summary: 'The node',
        description: 'How the daemon tracks its jobs on this node, and which partition limits it can enforce (decided once at start). See docs/job-tracking.md. Node token only.',
        response: { 200: NodeSchema, ...errorResponses(401, 403) },
      },
    },
    async () => body,
  );
};
