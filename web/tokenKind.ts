// Which kind of token the page was logged in with. The daemon makes every partition token with the
// prefix below and refuses to start with a node token that has it (src/core/partition.ts keeps the
// same value), so the prefix tells the kinds apart. The page asks nothing to find out (GET /node
// would answer a partition token 403), and the API stays the judge of what a token may do.
const PARTITION_TOKEN_PREFIX = 'sigma_p_';

export function isPartitionToken(token: string): boolean {
  return token.startsWith(PARTITION_TOKEN_PREFIX);
}
