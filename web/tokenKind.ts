// Which kind of token the page was logged in with. The daemon makes every partition token with the
// prefix below; the node token is the one in <data-dir>/token (or given with --token). The page
// asks nothing to find out (GET /node would answer a partition token 403), and the API stays the
// judge: a control shown wrongly would only get the API's 403 message.
const PARTITION_TOKEN_PREFIX = 'sigma_p_';

export function isPartitionToken(token: string): boolean {
  return token.startsWith(PARTITION_TOKEN_PREFIX);
}
