import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { getSession, onSessionChange, type Session } from '../api/client';
import type { User } from '../api/types';

const Ctx = createContext<User | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setS] = useState<Session | null>(getSession());
  useEffect(() => onSessionChange(setS), []);
  return <Ctx.Provider value={session?.user ?? null}>{children}</Ctx.Provider>;
}
export function useUser(): User | null {
  return useContext(Ctx);
}
