import { describe, expect, it } from 'vitest'
import { backendStatus, backendStatusText, decideAuto, decideBackend, probeKey, softwareAdapter, type BackendFacts } from '../../renderer/src/backend/auto'

// What Chromium reports on this kind of machine (navigator.gpu.requestAdapter().info) and on real GPUs.
const swiftshader = { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: false }
const nvidia = { vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060', isFallbackAdapter: false }
const on = (webgpu: BackendFacts['webgpu'], wasm = true): BackendFacts => ({ webgpu, wasm })

describe('the Auto backend rule', () => {
  it('recognises software adapters by name or by the fallback flag', () => {
    expect(softwareAdapter(swiftshader)).toBe('SwiftShader')
    expect(softwareAdapter({ description: 'Google SwiftShader Device (Subzero)' })).toBe('SwiftShader')
    expect(softwareAdapter({ vendor: 'mesa', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe('llvmpipe')
    expect(softwareAdapter({ description: 'Microsoft Basic Render Driver' })).toBe('Microsoft Basic Render Driver')
    expect(softwareAdapter({ vendor: 'unknown', isFallbackAdapter: true })).toBe('fallback adapter')
    expect(softwareAdapter(nvidia)).toBeNull()
    expect(softwareAdapter({ vendor: 'apple', architecture: 'metal-3' })).toBeNull()
  })

  it('picks WASM on a software WebGPU adapter, and says why', () => {
    const d = decideAuto(on(swiftshader))
    expect(d).toEqual({ backend: 'wasm', reason: 'software WebGPU adapter (SwiftShader), WASM is faster here', probe: 'none' })
    // Even a cached probe that (wrongly) favoured WebGPU does not override a software adapter.
    expect(decideAuto(on(swiftshader), { webgpu: 1, wasm: 10 }).backend).toBe('wasm')
    // CPU when WASM does not start either.
    expect(decideAuto(on(swiftshader, false))).toMatchObject({ backend: 'cpu', reason: expect.stringContaining('WASM did not start') })
  })

  it('picks WASM without a WebGPU adapter, naming the error when WebGPU failed', () => {
    expect(decideAuto(on(null))).toMatchObject({ backend: 'wasm', reason: 'no WebGPU adapter here' })
    expect(decideAuto({ webgpu: null, webgpuError: 'GPU process crashed', wasm: true }).reason).toBe('WebGPU did not start (GPU process crashed)')
  })

  it('asks for a speed probe on a hardware adapter, then keeps the faster', () => {
    expect(decideAuto(on(nvidia))).toMatchObject({ backend: 'webgpu', probe: 'needed' })
    expect(decideAuto(on(nvidia), { webgpu: 4, wasm: 40 })).toEqual({ backend: 'webgpu', reason: 'WebGPU trained 10x faster than WASM in a speed probe', probe: 'used' })
    expect(decideAuto(on(nvidia), { webgpu: 30, wasm: 12 })).toEqual({ backend: 'wasm', reason: 'WASM trained 2.5x faster than WebGPU in a speed probe', probe: 'used' })
    expect(decideAuto(on(nvidia), { webgpu: null, wasm: 12 })).toMatchObject({ backend: 'wasm', reason: 'WebGPU did not finish the speed probe in time, WASM did' })
    expect(decideAuto(on(nvidia), { webgpu: 5, wasm: null }).backend).toBe('webgpu')
    // No probe needed when WASM does not start.
    expect(decideAuto(on(nvidia, false))).toMatchObject({ backend: 'webgpu', probe: 'none' })
  })

  it('keeps the user\u2019s choice over the rule', () => {
    expect(decideBackend('webgpu', on(swiftshader))).toMatchObject({ backend: 'webgpu', probe: 'none' })
    expect(decideBackend('cpu', on(nvidia))).toMatchObject({ backend: 'cpu' })
    expect(decideBackend('auto', on(swiftshader)).backend).toBe('wasm')
  })

  it('caches probes per adapter and machine', () => {
    const a = probeKey(on(nvidia), 8)
    expect(probeKey(on(nvidia), 8)).toBe(a)
    expect(probeKey(on({ ...nvidia, description: 'NVIDIA GeForce RTX 4090' }), 8)).not.toBe(a)
    expect(probeKey(on(nvidia), 16)).not.toBe(a)
  })

  it('says in the status bar what runs and why', () => {
    const auto = backendStatus('auto', on(swiftshader), { wasmThreads: 2 })
    expect(backendStatusText(auto)).toBe('TF.js WASM · 2 threads — auto: software WebGPU adapter (SwiftShader), WASM is faster here')
    expect(backendStatusText(backendStatus('auto', on(swiftshader), { wasmThreads: 1 }))).toContain('WASM · 1 thread —')
    const chosen = backendStatus('webgpu', on(swiftshader), { wasmThreads: 2 })
    expect(backendStatusText(chosen)).toBe('TF.js WebGPU · google swiftshader — your choice')
    // A choice that cannot start here says what is used instead.
    const none = backendStatus('webgpu', on(null), { wasmThreads: 2 })
    expect(none.backend).toBe('webgl')
    expect(backendStatusText(none)).toBe('TF.js WebGL — your choice (WebGPU) failed: no WebGPU adapter here')
    expect(backendStatus('auto', on(nvidia), { wasmThreads: 4 })).toMatchObject({ backend: 'webgpu', measuring: true })
    expect(backendStatus('auto', on(nvidia), { wasmThreads: 4, timings: { webgpu: 50, wasm: 10 } })).toMatchObject({ backend: 'wasm', measuring: false })
  })
})
