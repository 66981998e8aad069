import type { ReactNode } from 'react';

// Loading, empty and error states. Errors are shown as plain text.
export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <div className="state state-loading" data-testid="loading" role="status">
      {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state state-empty" data-testid="empty">
      {children}
    </div>
  );
}

export function ErrorMessage({ title = 'Error', error }: { title?: string; error: unknown }) {
  const text = error instanceof Error ? error.message : String(error);
  return (
    <div className="state state-error" data-testid="error" role="alert">
      <strong>{title}</strong>
      <pre className="state-error-text">{text}</pre>
    </div>
  );
}
