import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorMessage } from './States';

/** Keeps a rendering failure in one view from blanking the app; shows the error as text. */
export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: Error | null; key: string }> {
  override state: { error: Error | null; key: string } = { error: null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { error: Error | null; key: string }) {
    // navigating elsewhere clears the error
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('ui: view failed to render', error, info.componentStack);
  }

  override render() {
    if (this.state.error) return <ErrorMessage title="This view failed to render" error={this.state.error} />;
    return this.props.children;
  }
}
