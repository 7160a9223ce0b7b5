// What the node token may do to a partition from its row: change its limits, delete it, and
// manage its tokens. Each answer is said in the row; after a change the panel is read again, so
// the row shows the limits the daemon now holds (or goes, once deleted).
import { ApiError, type ApiClient } from './apiClient.js';
import type { PartitionLimitsRequest } from './apiTypes.js';
import type { ActionOutcome } from './operationButton.js';
import type { TokenActions } from './partitionTokens.js';

export interface PartitionAdmin {
  changeLimits(partition: string, limits: PartitionLimitsRequest): Promise<ActionOutcome>;
  /** Null: deleted (the row goes), or not confirmed. */
  remove(partition: string): Promise<ActionOutcome | null>;
  tokens: TokenActions;
}

export function partitionAdminOf(api: ApiClient, reload: () => Promise<void>, messageOf: (error: unknown) => string): PartitionAdmin {
  return {
    async changeLimits(partition, limits) {
      try {
        await api.changePartitionLimits(partition, limits);
        await reload();
        return { ok: true, text: `Limits of ${partition} saved` };
      } catch (error) {
        return { ok: false, text: `Limits of ${partition} not changed: ${messageOf(error)}` };
      }
    },
    async remove(partition) {
      if (!window.confirm(`Delete partition ${partition}? Its tokens stop working.`)) return null;
      try {
        await api.deletePartition(partition);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404)) return { ok: false, text: `DELETE ${partition}: ${messageOf(error)}` };
      }
      await reload();
      return null;
    },
    tokens: {
      list: (partition) => api.listTokens(partition),
      create: (partition, label) => api.createToken(partition, label),
      revoke: (partition, id) => api.revokeToken(partition, id),
      messageOf,
    },
  };
}
