// The token (node or partition), kept for this tab only (sessionStorage): closing the tab forgets it.
const KEY = 'sigma.token';

export function savedToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function saveToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY);
}
