/** The initialization lab: activation statistics of a deep ReLU net per initializer, and of a trained run. */
import { useState } from 'react'
import { analyzeGraph } from '@shared/graph'
import { editorNames } from '@shared/graph/names'
import { mlp6x4096 } from '@shared/graph/templates'
import { LECTURE_SCHEMES } from '@shared/procedure'
import type { BackendChoice } from '../train/protocol'
import { Card, Field, JobStatus } from './card-parts'
import { designGraph, useJob } from './client'
import type { ProcedureContext } from './context'
import { InitLabView } from './InitLabView'
import { TrainedLab } from './TrainedLabView'

type LabModel = 'mlp-6x4096' | 'design'

export function InitLabCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('init-lab')
  const [which, setWhich] = useState<LabModel>('mlp-6x4096')
  const [samples, setSamples] = useState('16')
  // The layers by the editor's node names (`stages/0/conv1`), set with the graph the lab runs.
  const [shown, setShown] = useState<(layerName: string) => string>(() => (name: string) => name)
  const n = Number(samples)
  const results = job.state.result ?? job.state.points.flatMap((p) => ('lab' in p ? [p.lab] : []))
  const start = () =>
    void job.run(async () => {
      const graph = which === 'mlp-6x4096' ? mlp6x4096([4096], 10) : await designGraph(ctx.architectureId ?? -1).then((g) => g.document)
      const names = editorNames(analyzeGraph(graph))
      setShown(() => names)
      return { job: { kind: 'init-lab', graph, backend, seed: 0, schemes: LECTURE_SCHEMES, samples: n, bins: 30 } }
    })
  return (
    <Card
      id="init-lab"
      step="·"
      wide
      title="Initialization lab"
      lecture="Forward 16 random inputs through a deep ReLU net: with W = 0.01·randn the activations collapse to zero, 0.05 blows them up, Xavier shrinks them slowly, Kaiming (√(2/Din)) keeps them."
      actions={
        <button className="btn btn-primary" onClick={start} disabled={job.state.running || !(n >= 1 && n <= 256) || (which === 'design' && ctx.architectureId === null)} data-testid="run-init-lab">
          Run
        </button>
      }
    >
      <div className="proc-fields">
        <label className="proc-field">
          <span>Model</span>
          <select aria-label="Init lab model" value={which} onChange={(e) => setWhich(e.target.value as LabModel)}>
            <option value="mlp-6x4096">The lectures' 6×4096 ReLU MLP (84M parameters)</option>
            <option value="design">The design chosen on the left</option>
          </select>
        </label>
        <Field label="Samples" value={samples} onChange={setSamples} width={80} />
      </div>
      {which === 'mlp-6x4096' && <p className="proc-note">84M parameters (~340 MB of weights): the four initializers run one after another on one copy of the model, a forward pass each. WebGL or WASM handle it; it takes a few seconds.</p>}
      <JobStatus state={job.state} onCancel={job.cancel} />
      {results.length > 0 && <InitLabView results={results} shown={shown} />}
      <TrainedLab ctx={ctx} backend={backend} />
    </Card>
  )
}
