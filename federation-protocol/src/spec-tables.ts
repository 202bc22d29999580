import { problemCatalogue, problemCatalogueHeadings, type ProblemCode } from './problems.ts';
import { deviceProblems, routes, type RouteSpec } from './routes.ts';

/*
 * SPEC.md's two tables that restate the catalogues (§5.2 routes, §7.2 problems) are generated
 * from them, between marker comments, so the specification cannot drift from the server.
 * `npm run docs:spec` rewrites them; a test fails when they differ.
 */

/** The problems every device route may answer, summarised as *(device)* in the table. */
const DEVICE_PROBLEMS: ProblemCode[] = deviceProblems.filter((p) => p !== 'authority_unknown');
/** Listed once above the table: every route may answer them (Section 5.1). */
const COMMON_PROBLEMS = new Set<ProblemCode>([
  'authority_unknown',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'malformed_request',
  'invalid_request',
  'internal_error',
  'unavailable',
]);

const sectionOrder = (section: string) => section.split('.').map(Number);
const bySection = (a: RouteSpec, b: RouteSpec) => {
  const [x, y] = [sectionOrder(a.spec!.section), sectionOrder(b.spec!.section)];
  return x[0]! - y[0]! || x[1]! - y[1]!;
};

function routeProblems(route: RouteSpec): string {
  if (route.spec?.problems) return route.spec.problems;
  const device = route.auth === 'device' && DEVICE_PROBLEMS.every((p) => route.problems.includes(p));
  // `not_found` is common to every route, but a route that lists it answers it for its own resource.
  const own = route.problems.filter((p) => !(device && DEVICE_PROBLEMS.includes(p)) && (p === 'not_found' || !COMMON_PROBLEMS.has(p)));
  const items = [...(device ? ['*(device)*'] : []), ...own];
  return items.length ? items.join(', ') : '—';
}

export function renderRouteTable(): string {
  const listed = (Object.values(routes) as RouteSpec[]).filter((r) => r.spec).sort(bySection);
  const rows = listed.map((r) => {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const success = r.spec!.success ?? Object.keys(r.responses).join(', ');
    return `| ${r.spec!.section} | ${r.method.toUpperCase()} | \`${path}\` | ${r.spec!.auth ?? r.auth} | ${success} | ${routeProblems(r)} |`;
  });
  return ['| § | method | path | auth | success | route problems |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

export function renderProblemTable(): string {
  const rows = (Object.entries(problemCatalogue) as [ProblemCode, { status: number; title: string }][]).flatMap(([code, { status, title }]) => [
    ...(problemCatalogueHeadings[code] ? [`| **${problemCatalogueHeadings[code]}** | | |`] : []),
    `| \`${code}\` | ${status} | ${title} |`,
  ]);
  return ['| code | status | meaning |', '|---|---|---|', ...rows].join('\n');
}

export const specTables = { routes: renderRouteTable, problems: renderProblemTable } as const;
export type SpecTable = keyof typeof specTables;

const markers = (name: SpecTable) => [`<!-- ${name}-table:start -->`, `<!-- ${name}-table:end -->`] as const;

/** The table between its markers in SPEC.md, or null when the markers are missing. */
export function readSpecTable(spec: string, name: SpecTable): string | null {
  const [start, end] = markers(name);
  const from = spec.indexOf(start);
  const to = spec.indexOf(end);
  return from < 0 || to < from ? null : spec.slice(from + start.length, to).trim();
}

/** SPEC.md with every generated table rewritten between its markers. */
export function writeSpecTables(spec: string): string {
  let out = spec;
  for (const name of Object.keys(specTables) as SpecTable[]) {
    const [start, end] = markers(name);
    const from = out.indexOf(start);
    const to = out.indexOf(end);
    if (from < 0 || to < from) throw new Error(`SPEC.md has no ${start} … ${end} markers`);
    out = `${out.slice(0, from + start.length)}\n${specTables[name]()}\n${out.slice(to)}`;
  }
  return out;
}
