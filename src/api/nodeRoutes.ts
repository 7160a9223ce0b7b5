// GET /node: what the daemon found about the node at start, such as how it tracks its jobs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { NodeDirectory } from '../fleet/fleetMembership.js';
import type { JobTracking } from '../runtime/jobCgroups.js';
import type { LauncherStatus } from '../runtime/jobHost.js';
import type { LimitSupport } from '../runtime/partitionLimits.js';
import { errorResponses } from './schemas/errorResponses.js';
import { LEFTOVER_JOBS } from './schemas/processSchemas.js';

const NodeSchema = Type.Object(
  {
    launcher: Type.Union([Type.Literal('native'), Type.Literal('in-process')], {
      description:
        'native: jobs run under the sigma-launcher program, which releases PERIODIC jobs itself and keeps every job running while the daemon restarts (docs/launcher.md); in-process: jobs run in the daemon\'s own process (no launcher was built) and end with it.',
    }),
    launcherPid: Type.Union([Type.Integer(), Type.Null()], { description: 'The launcher\'s pid, null in-process.' }),
    launcherReason: Type.String({ description: 'How jobs came to run where they do: which launcher, and what was adopted from it at start.' }),
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
    leftoverJobs: LEFTOVER_JOBS,
    nodeName: Type.Union([Type.String(), Type.Null()], { description: 'Its name in the fleet (--node-name), null on its own.' }),
    fleet: Type.Union([Type.Literal('connected'), Type.Literal('unreachable'), Type.Null()], {
      description: 'In a fleet: connected while etcd answers, unreachable while it does not (the node runs what it has); null on its own.',
    }),
  },
  { title: 'Node', additionalProperties: false, description: 'The node as the daemon found it at start, and what is left of ending what a previous daemon left.' },
);

export const nodeRoutes: FastifyPluginAsyncTypebox<{
  jobTracking: JobTracking;
  limitSupport: LimitSupport;
  launcher: LauncherStatus;
  leftoverJobs: () => number;
  directory: NodeDirectory;
}> = async (app, { jobTracking, limitSupport, launcher, leftoverJobs, directory }) => {
  const body = {
    launcher: launcher.mode,
    launcherPid: launcher.pid,
    launcherReason: launcher.reason,
    jobTracking: { mode: jobTracking.mode, cgroup: jobTracking.parentPath, reason: jobTracking.reason },
    partitionLimits: { cpu: limitSupport.cpu, memoryBytes: limitSupport.memoryBytes, pids: limitSupport.pids },
  };
  app.get(
    '/node',
    {
      schema: {
        tags: ['system'],
        summary: 'The node',
        description: 'Where the node\'s jobs run, how the daemon tracks them, and which partition limits it can enforce (decided once at start); leftoverJobs: how many processes still wait for a job a killed daemon left to be ended. See docs/launcher.md and docs/job-tracking.md. Node token only.',
        response: { 200: NodeSchema, ...errorResponses(401, 403) },
      },
    },
    async () => ({ ...body, leftoverJobs: leftoverJobs(), nodeName: directory.nodeName, fleet: directory.fleetStatus() }),
  );
};
