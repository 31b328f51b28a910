/**
 * App-level UI state (route, theme, host facts). The location lives in the URL hash so a reload (or the
 * Electron window restarting) comes back to the same place.
 */
import { create } from 'zustand'
import type { AppInfo, Theme } from '@shared/api'
import type { BackendStatus } from '../backend/auto'

export const SECTIONS = ['architecture', 'data', 'train', 'runs'] as const
export type Section = (typeof SECTIONS)[number]

export type Route = { readonly name: 'projects' } | { readonly name: 'workspace'; readonly projectId: number; readonly section: Section }

export function parseRoute(hash: string): Route {
  const m = /^#\/p\/(\d+)(?:\/(\w+))?/.exec(hash)
  if (m) {
    const section = (SECTIONS as readonly string[]).includes(m[2] ?? '') ? (m[2] as Section) : 'architecture'
    return { name: 'workspace', projectId: Number(m[1]), section }
  }
  return { name: 'projects' }
}

export function routeHash(route: Route): string {
  return route.name === 'projects' ? '#/projects' : `#/p/${route.projectId}/${route.section}`
}

/**
 * A section's own place after the section in the hash (`#/p/1/runs/5/evaluation` -> ['5', 'evaluation']): which
 * run or dataset is open and on which tab, so a reload comes back to it.
 */
export function subPath(section: Section, hash: string = window.location.hash): string[] {
  const m = /^#\/p\/\d+\/(\w+)\/(.+)$/.exec(hash)
  return m && m[1] === section ? m[2]!.split('/').filter(Boolean).map(decodeURIComponentSafe) : []
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

/** Replaces the section's place in the hash (no new history entry), while that section is the one shown. */
export function setSubPath(section: Section, parts: readonly (string | number)[]): void {
  const route = useApp.getState().route
  if (route.name !== 'workspace' || route.section !== section) return
  const rest = parts.map((p) => encodeURIComponent(String(p))).join('/')
  const hash = `${routeHash(route)}${rest ? `/${rest}` : ''}`
  if (window.location.hash !== hash) window.history.replaceState(null, '', hash)
}

interface AppState {
  route: Route
  theme: Theme
  info: AppInfo | null
  /** The studio's backend setting applied here (renderer/src/backend/probe.ts), null while it is detected. */
  backend: BackendStatus | null
  paletteOpen: boolean
  navigate(route: Route): void
  syncFromLocation(): void
  setTheme(theme: Theme): void
  setInfo(info: AppInfo): void
  setBackend(status: BackendStatus): void
  setPaletteOpen(open: boolean): void
}

export const useApp = create<AppState>((set) => ({
  route: parseRoute(window.location.hash),
  theme: 'dark',
  info: null,
  backend: null,
  paletteOpen: false,
  navigate(route) {
    const hash = routeHash(route)
    if (window.location.hash !== hash) window.history.pushState(null, '', hash)
    set({ route })
  },
  syncFromLocation: () => set({ route: parseRoute(window.location.hash) }),
  setTheme: (theme) => {
    document.documentElement.dataset.theme = theme
    set({ theme })
  },
  setInfo: (info) => set({ info }),
  setBackend: (backend) => set({ backend }),
  setPaletteOpen: (paletteOpen) => set({ paletteOpen }),
}))
