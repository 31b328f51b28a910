/** The Train form's class balance option, with the training split's largest and smallest class in words. */
import { useEffect, useState } from 'react'
import type { DatasetSummary } from '@shared/api'
import { classImbalance, type ClassImbalance } from '@shared/train/balance'
import { api } from '../api/client'

function useTrainImbalance(dataset: DatasetSummary | null): ClassImbalance | null {
  const [found, setFound] = useState<ClassImbalance | null>(null)
  const id = dataset?.id ?? null
  useEffect(() => {
    setFound(null)
    if (id === null) return
    let live = true
    api()
      .datasets.get({ id })
      .then(
        (d) => live && setFound(d.stats ? classImbalance(d.stats.counts.train, d.classes) : null),
        () => undefined,
      )
    return () => {
      live = false
    }
  }, [id])
  return found
}

export function ClassBalanceField({ dataset, checked, disabled, onChange }: { dataset: DatasetSummary | null; checked: boolean; disabled: boolean; onChange: (v: boolean) => void }) {
  const imbalance = useTrainImbalance(dataset)
  return (
    <div className="tf-field" data-testid="class-balance">
      <label className="tf-check">
        <input type="checkbox" checked={checked} disabled={disabled} onChange={(e) => onChange(e.target.checked)} />
        <span>Weight the loss by class (rare classes count more)</span>
      </label>
      {imbalance && (
        <span className={`tf-hint${imbalance.unbalanced && !checked ? ' tf-warn' : ''}`}>
          Training split: {imbalance.words}.{imbalance.unbalanced && !checked ? ' Weighting gives every class the same total weight.' : ''}
        </span>
      )}
    </div>
  )
}
