import { serviceColor } from '../../model/colors';

export function ServiceBadge({ name, count, error }: { name: string; count?: number; error?: boolean }) {
  return (
    <span className={`service-badge${error ? ' service-badge-error' : ''}`} data-testid="service-badge" data-service={name}>
      <span className="service-swatch" style={{ background: serviceColor(name) }} />
      <span className="service-badge-name">{name}</span>
      {count !== undefined && <span className="service-badge-count">({count})</span>}
    </span>
  );
}
