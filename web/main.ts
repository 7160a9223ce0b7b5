// The page's entry: the token prompt, then the live dashboard until the user logs out or the
// daemon refuses the token.
import { ApiClient, ApiError } from './apiClient.js';
import { byId } from './elements.js';
import { LiveDashboard } from './liveDashboard.js';
import { isPartitionToken } from './tokenKind.js';
import { forgetToken, saveToken, savedToken } from './tokenStore.js';

let dashboard: LiveDashboard | null = null;

function showLogin(message = ''): void {
  dashboard?.stop();
  dashboard = null;
  byId('dashboard').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message;
  const input = byId<HTMLInputElement>('token');
  input.value = '';
  input.focus();
}

function showDashboard(token: string): void {
  byId('login').hidden = true;
  byId('dashboard').hidden = false;
  byId('logout').hidden = false;
  dashboard = new LiveDashboard(
    new ApiClient(token),
    (message) => {
      forgetToken();
      showLogin(`The daemon refused the token: ${message}`);
    },
    isPartitionToken(token),
  );
  dashboard.start();
}

async function logIn(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const token = byId<HTMLInputElement>('token').value.trim();
  const error = byId('login-error');
  if (token === '') {
    error.textContent = 'Enter the node token or a partition token.';
    return;
  }
  error.textContent = 'Checking the token…';
  try {
    await new ApiClient(token).listProcesses();
  } catch (failure) {
    error.textContent = failure instanceof ApiError ? failure.message : String(failure);
    return;
  }
  error.textContent = '';
  saveToken(token);
  showDashboard(token);
}

function boot(): void {
  byId<HTMLFormElement>('login-form').addEventListener('submit', (event) => void logIn(event));
  byId('logout').addEventListener('click', () => {
    forgetToken();
    showLogin('Logged out.');
  });
  const token = savedToken();
  if (token === null) showLogin();
  else showDashboard(token);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
