import type { SearchParams } from '@/components/pagination.tsx';

/** What Next.js hands a page under /[server]/[authority]: its path's segments (with `P`, those of deeper routes) and its query. */
export interface AuthorityPageProps<P extends Record<string, string> = Record<never, string>> {
  params: Promise<{ server: string; authority: string } & P>;
  searchParams: Promise<SearchParams>;
}
