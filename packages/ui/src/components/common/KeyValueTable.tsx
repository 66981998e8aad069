import type { JaegerKeyValue } from '../../model/jaeger';
import { valueToText } from '../../model/format';

/** Tags / fields as a two-column table; values are always text. */
export function KeyValueTable({ items, testId }: { items: JaegerKeyValue[]; testId?: string }) {
  if (items.length === 0) return <div className="kv-empty">none</div>;
  return (
    <table className="kv-table" data-testid={testId}>
      <tbody>
        {items.map((kv, i) => (
          <tr key={i} data-testid="kv-row">
            <td className="kv-key">{kv.key}</td>
            <td className={`kv-value kv-type-${kv.type}`}>{valueToText(kv)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
