/**
 * Filters and activations of a checkpoint (computed in the evaluation worker): the first convolution's kernels
 * as small tiles, and the activation maps of a chosen layer for one validation image.
 */
import { useEffect, useMemo, useRef, useState } from 'react'
import type { CheckpointInfo, DatasetDetail, Run } from '@shared/api'
import type { AugmentPipeline } from '@shared/augment'
import { snapshotFacts } from '@shared/compare'
import { analyzeGraph, type GraphDocument } from '@shared/graph'
import { editorNames } from '@shared/graph/names'
import { cacheSpec, evalRequest, modelSpec, splitRows } from './eval-client'
import type { ActivationsResult, ImagesResult, InspectResult } from './eval-protocol'
import { drawRgba, filterTiles, imageToRgba, mapToRgba } from './images'

function MapTile(props: { values: Float32Array; h: number; w: number; c: number; ch: number; rgb?: boolean; scale: number; title: string }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => drawRgba(ref.current, mapToRgba(props.values, props.h, props.w, props.c, props.ch, props.rgb), props.w, props.h), [props.values, props.ch, props.rgb])
  return <canvas ref={ref} className="map-tile" title={props.title} style={{ width: props.w * props.scale, height: props.h * props.scale }} />
}

function ImageTile(props: { pixels: Uint8Array; h: number; w: number; c: number; scale: number }) {
  const ref = useRef<HTMLCanvasElement>(null)
  useEffect(() => drawRgba(ref.current, imageToRgba(props.pixels, props.h, props.w, props.c), props.w, props.h), [props.pixels])
  return <canvas ref={ref} className="map-tile" style={{ width: props.w * props.scale, height: props.h * props.scale }} />
}

export function pipelineOf(run: Run): AugmentPipeline | null {
  const p = (run.config as { pipeline?: { document?: AugmentPipeline } | null } | null)?.pipeline
  return p?.document ?? null
}

export function InspectPanel(props: { run: Run; checkpoints: readonly CheckpointInfo[]; dataset: DatasetDetail | null }) {
  const graph = snapshotFacts(props.run.config).graphDocument as GraphDocument | undefined
  const preferred = props.checkpoints.find((c) => c.kind === 'best') ?? props.checkpoints[0]
  const [cpId, setCpId] = useState<number | null>(preferred?.id ?? null)
  const [info, setInfo] = useState<InspectResult | null>(null)
  const [layer, setLayer] = useState<string>('')
  const [sample, setSample] = useState(0)
  const [valCount, setValCount] = useState(0)
  const [image, setImage] = useState<ImagesResult | null>(null)
  const [acts, setActs] = useState<ActivationsResult | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const cp = props.checkpoints.find((c) => c.id === cpId) ?? preferred
  // Layers are shown by the editor's node names (`stages/0/conv1`), not the compiled model's (`stages_0_conv1`).
  const shown = useMemo(() => (graph ? editorNames(analyzeGraph(graph)) : (name: string) => name), [props.run.id])

  useEffect(() => {
    if (!cp || !graph) return
    let live = true
    setError(null)
    setBusy(true)
    modelSpec(cp.id, graph)
      .then((model) => evalRequest('inspect', { model }, [model.weights]))
      .then(
        (r) => {
          if (!live) return
          setInfo(r)
          setLayer((l) => (r.layers.some((x) => x.name === l) ? l : (r.layers[0]?.name ?? '')))
        },
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      )
      .finally(() => live && setBusy(false))
    return () => {
      live = false
    }
  }, [cp?.id])

  useEffect(() => {
    const ds = props.dataset
    if (!cp || !graph || !ds || !layer) return
    let live = true
    setError(null)
    ;(async () => {
      const rows = await splitRows(ds.id, 'val')
      if (!live) return
      setValCount(rows.indices.length)
      const row = rows.indices[Math.min(sample, rows.indices.length - 1)] ?? 0
      const cache = cacheSpec(ds)
      const img = await evalRequest('images', { cache, rows: [row] })
      if (live) setImage(img)
      const model = await modelSpec(cp.id, graph)
      const a = await evalRequest('activations', { model, cache, row, layer, pipeline: pipelineOf(props.run), maxChannels: 64 }, [model.weights])
      if (live) setActs(a)
    })().catch((e: unknown) => live && setError(e instanceof Error ? e.message : String(e)))
    return () => {
      live = false
    }
  }, [cp?.id, layer, sample, props.dataset?.id])

  if (!graph) return <p className="muted">This run’s snapshot holds no graph document.</p>
  if (props.checkpoints.length === 0) return <p className="muted">This run has no checkpoint yet: filters and activations need trained weights.</p>
  const tiles = info?.filters ? filterTiles(info.filters.values, info.filters.shape) : []
  const fScale = info?.filters ? Math.max(4, Math.floor(48 / info.filters.shape[0])) : 6
  const [ah, aw, ac] = acts?.shape ?? [0, 0, 0]
  const aScale = ah > 0 ? Math.max(1, Math.min(4, Math.floor(72 / ah))) : 2
  return (
    <div className="inspect" data-testid="inspect">
      <div className="curves-controls">
        <label className="inline-field">
          <span>Checkpoint</span>
          <select aria-label="Checkpoint to inspect" value={cp?.id ?? ''} onChange={(e) => setCpId(Number(e.target.value))}>
            {props.checkpoints.map((c) => (
              <option key={c.id} value={c.id}>
                {c.kind} · epoch {c.epoch}
              </option>
            ))}
          </select>
        </label>
        {busy && <span className="muted small">Loading the checkpoint in the worker…</span>}
        {error && <span className="field-error">{error}</span>}
      </div>
      <section className="cmp-card">
        <header className="cmp-head">
          <h3>First-layer filters</h3>
          {info?.filters && (
            <span className="muted small">
              {shown(info.filters.layer)}: {info.filters.shape[3]} kernels of {info.filters.shape[0]}x{info.filters.shape[1]}x{info.filters.shape[2]}
              {info.filters.shape[2] === 3 ? ' (RGB)' : info.filters.shape[2] > 1 ? ' (mean over input channels)' : ''}, each scaled to its own range
            </span>
          )}
        </header>
        {info && !info.filters && <p className="muted small">The network has no convolution.</p>}
        <div className="tiles" data-testid="filters">
          {tiles.map((t, i) => (
            <MapTile key={i} values={t.data} h={t.h} w={t.w} c={t.c} ch={0} rgb={t.c === 3} scale={fScale} title={`Filter ${i}`} />
          ))}
        </div>
      </section>
      <section className="cmp-card">
        <header className="cmp-head">
          <h3>Activations</h3>
          <label className="inline-field">
            <span>Layer</span>
            <select aria-label="Layer" value={layer} onChange={(e) => setLayer(e.target.value)}>
              {info?.layers.map((l) => (
                <option key={l.name} value={l.name}>
                  {shown(l.name)} · {l.className} · {l.shape.join('x')}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            <span>Validation image</span>
            <input className="num-input" type="number" min={0} max={Math.max(0, valCount - 1)} value={sample} aria-label="Validation image" onChange={(e) => setSample(Math.max(0, Math.floor(Number(e.target.value) || 0)))} />
            <span className="muted small">of {valCount}</span>
          </label>
        </header>
        {!props.dataset && <p className="muted small">The run’s dataset no longer exists: activations need its images.</p>}
        <div className="acts">
          {image && (
            <figure className="act-input">
              <ImageTile pixels={image.images} h={image.shape[0]} w={image.shape[1]} c={image.shape[2]} scale={Math.max(2, Math.floor(96 / image.shape[0]))} />
              <figcaption className="muted small">input</figcaption>
            </figure>
          )}
          <div className="tiles" data-testid="activations">
            {acts &&
              Array.from({ length: ac }, (_, ch) => <MapTile key={`${acts.layer}-${ch}`} values={acts.values} h={ah} w={aw} c={ac} ch={ch} scale={aScale} title={`Channel ${ch}`} />)}
          </div>
        </div>
        {acts && acts.channels > ac && <p className="muted small">First {ac} of {acts.channels} channels.</p>}
      </section>
    </div>
  )
}
