/**
 * The one load-and-subscribe hook: a value loaded from the API, loaded again when one of the services' events
 * says it changed. Only the newest load's answer is shown (an older, slower one is dropped), nothing is set after
 * the component is gone, and a burst of events can be folded into one reload (`debounceMs`).
 *
 *   const runs = useLive(() => api().runs.list({ projectId }), [projectId], {
 *     on: [changes(api().runs, 'onDidChange', (e) => e.projectId === projectId)],
 *   })
 */
import { useEffect, useRef, useState, type DependencyList } from 'react'
import type { ServiceClient, ServiceContract, ServiceEvents } from '@shared/api'
import { reportError } from './dialogs'

/** Calls `changed` whenever the value may be stale; returns its unsubscribe. */
export type Subscription = (changed: () => void) => () => void

/** A service's event as a Subscription, for the events `when` accepts (all of them without it). */
export function changes<C extends ServiceContract, K extends keyof C['events'] & string>(service: ServiceClient<C>, event: K, when?: (payload: ServiceEvents<C>[K]) => boolean): Subscription {
  return (changed) => service.on(event, (payload) => (!when || when(payload)) && changed())
}

export interface LiveOptions {
  readonly on: readonly Subscription[]
  /** Reload once, this long after the first of a burst of events (0: at each event). */
  readonly debounceMs?: number
  /** A failed load (default: the error dialog); the value shown stays as it was. */
  readonly onError?: (error: unknown) => void
  /** false: neither load nor listen yet (the value stays undefined). */
  readonly enabled?: boolean
  /** Clear the value while the load for new `deps` runs (default: the previous value stays until it answers). */
  readonly resetOnChange?: boolean
}

export interface Live<T> {
  /** undefined until the first load for the current `deps` answers. */
  readonly value: T | undefined
  /** Whether a load is in flight. */
  readonly loading: boolean
  /** Loads again now (after the user changed something the events do not announce); settles when it is shown. */
  readonly reload: () => Promise<void>
}

export function useLive<T>(load: () => Promise<T>, deps: DependencyList, options: LiveOptions): Live<T> {
  const [state, setState] = useState<{ value: T | undefined; loading: boolean }>({ value: undefined, loading: true })
  const reloadRef = useRef<() => Promise<void>>(() => Promise.resolve())
  // The latest options without making them dependencies (callers pass fresh arrays and closures each render).
  const optionsRef = useRef(options)
  optionsRef.current = options
  const enabled = options.enabled ?? true

  useEffect(() => {
    if (!enabled) {
      setState({ value: undefined, loading: false })
      return
    }
    let alive = true
    let generation = 0
    let timer: ReturnType<typeof setTimeout> | null = null
    setState((s) => (optionsRef.current.resetOnChange ? { value: undefined, loading: true } : { ...s, loading: true }))
    const run = () => {
      const mine = ++generation
      setState((s) => (s.loading ? s : { ...s, loading: true }))
      return load().then(
        (value) => {
          if (alive && mine === generation) setState({ value, loading: false })
        },
        (error: unknown) => {
          if (!alive || mine !== generation) return
          setState((s) => ({ ...s, loading: false }))
          ;(optionsRef.current.onError ?? reportError)(error)
        },
      )
    }
    const changed = () => {
      const wait = optionsRef.current.debounceMs ?? 0
      if (wait <= 0) return void run()
      if (timer) return
      timer = setTimeout(() => {
        timer = null
        void run()
      }, wait)
    }
    reloadRef.current = run
    void run()
    const offs = optionsRef.current.on.map((subscribe) => subscribe(changed))
    return () => {
      alive = false
      if (timer) clearTimeout(timer)
      for (const off of offs) off()
      reloadRef.current = () => Promise.resolve()
    }
    // `deps` are the caller's: what `load` and `on` read.
  }, [...deps, enabled])

  return { value: state.value, loading: state.loading, reload: () => reloadRef.current() }
}
