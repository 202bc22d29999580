'use client';
import { createContext, useContext, type ReactNode } from 'react';
import type { RouteName } from '@tessera/protocol';
import type { Permissions } from '@/lib/roles.ts';

export interface ConsoleContextValue {
  serverKey: string;
  authority: string;
  currency: string;
  permissions: Permissions;
}

const ConsoleContext = createContext<ConsoleContextValue | null>(null);

export function ConsoleProvider({ value, children }: { value: ConsoleContextValue; children: ReactNode }) {
  return <ConsoleContext.Provider value={value}>{children}</ConsoleContext.Provider>;
}

export function useOptionalConsole(): ConsoleContextValue | null {
  return useContext(ConsoleContext);
}

export function useConsole(): ConsoleContextValue {
  const value = useContext(ConsoleContext);
  if (!value) throw new Error('useConsole outside ConsoleProvider');
  return value;
}

/** Whether the signed-in administrator's role allows an admin route here (the server still decides). */
export function useCan(name: RouteName): boolean {
  return useConsole().permissions[name] === true;
}

/** Renders its children only when the role allows the route: no button that would fail. */
export function IfCan({ name, children }: { name: RouteName; children: ReactNode }) {
  return useCan(name) ? children : null;
}
