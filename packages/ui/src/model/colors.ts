// Service colours: stable per service name (a hash into a palette), so a service has the same
// colour in the search results, the trace view and any later view.
const PALETTE = [
  '#17b8be', '#f8dca1', '#b7885e', '#ffcb99', '#f89570', '#829ae3', '#e79fd5', '#1e96be',
  '#89dac1', '#b3ad9e', '#12939a', '#ddb27c', '#88572c', '#ff9833', '#ef5d28', '#162a65',
  '#da70bf', '#125c77', '#4dc19c', '#776e57',
];

export function serviceColor(name: string): string {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return PALETTE[(h >>> 0) % PALETTE.length];
}
