/** Step 1: the initial loss against ln(C), and the loss rising with the regularization. */
import type { BackendChoice } from '../train/protocol'
import { Card, Figure, JobStatus, Verdict } from './card-parts'
import { useJob } from './client'
import { prepareData, seedOf, type ProcedureContext } from './context'
import { fmt } from './logic'

export function SanityCard({ ctx, backend }: { ctx: ProcedureContext; backend: BackendChoice }) {
  const job = useJob('initial-loss')
  const r = job.state.result
  const start = () =>
    void job.run(async () => {
      const { graph, data, pipeline, transfer } = await prepareData(ctx)
      return { job: { kind: 'initial-loss', graph, data, pipeline, backend, seed: seedOf(ctx.config) }, transfer }
    })
  return (
    <Card
      id="initial-loss"
      step="1"
      title="Initial loss"
      lecture="With small random weights a C-class softmax predicts ~1/C everywhere, so the loss starts at ln(C) (2.30 for 10 classes); raising the regularization must raise it."
      actions={
        <button className="btn" onClick={start} disabled={job.state.running} data-testid="run-initial-loss">
          Check
        </button>
      }
    >
      <JobStatus state={job.state} onCancel={job.cancel} />
      {r && (
        <div className="proc-result" data-testid="initial-loss-result">
          <div className="proc-figures">
            <Figure label="Measured" value={fmt(r.initial.loss, 4)} />
            <Figure label={`ln(${r.initial.classes})`} value={fmt(r.initial.expected, 4)} />
            <Figure label="Difference" value={`${r.initial.difference >= 0 ? '+' : ''}${fmt(r.initial.difference, 3)}`} />
            <Figure label="Logit std" value={fmt(r.initial.logitStd)} />
          </div>
          <Verdict kind={r.initial.severity === 'ok' ? 'ok' : r.initial.severity === 'minor' ? 'warn' : 'bad'}>
            <strong>{r.initial.severity === 'ok' ? 'As expected.' : r.initial.severity === 'minor' ? 'Slightly off.' : r.initial.verdict === 'probabilities' ? 'Probabilities, not logits.' : r.initial.verdict === 'too-low' ? 'Too low.' : 'Too high.'}</strong> {r.initial.message}
          </Verdict>
          <h4>Raise the regularization</h4>
          <table className="proc-table compact">
            <thead>
              <tr>
                <th>Weight decay λ</th>
                <th>Data loss</th>
                <th>λ/2·‖W‖²</th>
                <th>Loss</th>
              </tr>
            </thead>
            <tbody>
              {r.regularization.rows.map((row) => (
                <tr key={row.weightDecay}>
                  <td>{fmt(row.weightDecay)}</td>
                  <td>{fmt(row.dataLoss, 4)}</td>
                  <td>{fmt(row.penalty, 3)}</td>
                  <td>{fmt(row.loss, 4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Verdict kind={r.regularization.rises ? 'ok' : 'bad'}>{r.regularization.message}</Verdict>
        </div>
      )}
    </Card>
  )
}
