/**
 * Import a folder of images (one subfolder per class). The job starts on submit and the dialog closes: progress
 * and Cancel live in the dataset list, the rest of the app stays usable. Refusals from the service come back
 * as ApiError issues and are shown under the field they name.
 */
import { useEffect, useRef, useState, type ReactNode } from 'react'
import { ASPECT_POLICIES, type AspectPolicy, type FolderProbe } from '@shared/api'
import { api } from '../api/client'
import { useApp } from '../app/store'
import { Modal } from '../ui/dialogs'
import { useData } from './store'

const ASPECT_HELP: Record<AspectPolicy, { label: string; help: string }> = {
  resize: { label: 'Resize', help: 'Stretch every image to exactly H×W; keeps all content, distorts shapes when aspect ratios differ.' },
  'center-crop': { label: 'Center crop', help: 'Scale to cover H×W, then cut the centre; keeps shapes, may lose the borders.' },
  pad: { label: 'Pad', help: 'Scale to fit inside H×W and fill the rest with black bars; keeps everything, wastes pixels.' },
}

type Errors = Record<string, string>

const BACKGROUNDS = [
  { key: 'white', label: 'White', hex: '#ffffff' },
  { key: 'black', label: 'Black', hex: '#000000' },
  { key: 'colour', label: 'A colour', hex: null },
] as const
type BackgroundKey = (typeof BACKGROUNDS)[number]['key']

/** The folder's probe (classes, images, how many have transparency), asked again when the path settles. */
function useFolderProbe(path: string): FolderProbe | null {
  const [probe, setProbe] = useState<FolderProbe | null>(null)
  useEffect(() => {
    setProbe(null)
    if (path.trim() === '') return
    let live = true
    const t = setTimeout(() => {
      api()
        .datasets.probe({ path })
        // A folder that is not there yet, or not one with class subfolders: the import says so on submit.
        .then((p) => live && setProbe(p), () => undefined)
    }, 300)
    return () => {
      live = false
      clearTimeout(t)
    }
  }, [path])
  return probe
}

function basename(path: string): string {
  const parts = path.replace(/[\\/]+$/, '').split(/[\\/]/)
  return parts[parts.length - 1] ?? ''
}

function Field({ label, error, children, hint }: { label: string; error?: string | undefined; children: ReactNode; hint?: ReactNode }) {
  return (
    <div className="field">
      <span>{label}</span>
      {children}
      {hint && !error && <span className="field-hint">{hint}</span>}
      {error && <span className="field-error" role="alert">{error}</span>}
    </div>
  )
}

export function ImportDialog({ projectId, initialPath, onClose }: { projectId: number; initialPath?: string; onClose: () => void }) {
  const canPick = useApp((s) => s.info?.capabilities.canPickFolder ?? false)
  const addJob = useData((s) => s.addJob)
  const [path, setPath] = useState(initialPath ?? '')
  const [name, setName] = useState(initialPath ? basename(initialPath) : '')
  const [nameTouched, setNameTouched] = useState(false)
  const [height, setHeight] = useState('32')
  const [width, setWidth] = useState('32')
  const [channels, setChannels] = useState<1 | 3>(3)
  const [aspect, setAspect] = useState<AspectPolicy>('resize')
  const [train, setTrain] = useState('80')
  const [val, setVal] = useState('10')
  const [test, setTest] = useState('10')
  const [seed, setSeed] = useState('0')
  const [background, setBackground] = useState<BackgroundKey>('white')
  const [colour, setColour] = useState('#808080')
  const probe = useFolderProbe(path)
  const transparent = probe !== null && probe.withAlpha > 0
  const backgroundHex = background === 'colour' ? colour : BACKGROUNDS.find((b) => b.key === background)!.hex!
  const [errors, setErrors] = useState<Errors>({})
  const [general, setGeneral] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const pathInput = useRef<HTMLInputElement>(null)
  useEffect(() => pathInput.current?.focus(), [])

  const onPath = (value: string) => {
    setPath(value)
    if (!nameTouched) setName(basename(value))
  }

  const browse = async () => {
    try {
      const picked = await api().host.pickFolder({ title: 'Choose a folder with one subfolder per class' })
      if (picked) onPath(picked)
    } catch (e) {
      setGeneral(e instanceof Error ? e.message : String(e))
    }
  }

  const sum = Number(train) + Number(val) + Number(test)
  const sumError = Number.isFinite(sum) && Math.abs(sum - 100) > 1e-6 ? `The ratios add up to ${sum}%, not 100%` : undefined

  const submit = async () => {
    setBusy(true)
    setErrors({})
    setGeneral(null)
    const num = (s: string) => (s.trim() === '' ? Number.NaN : Number(s))
    try {
      const res = await api().datasets.import({
        projectId,
        path,
        name,
        size: { height: num(height), width: num(width) },
        channels,
        aspect,
        // Only images with transparency use it; without any found, the default (black) is kept.
        ...(transparent ? { background: backgroundHex } : {}),
        split: { train: num(train) / 100, val: num(val) / 100, test: num(test) / 100 },
        seed: num(seed),
      })
      addJob({ jobId: res.jobId, datasetId: res.datasetId, name: name.trim() || basename(path) })
      onClose()
    } catch (e) {
      const issues = (e as { issues?: readonly { path: string; message: string }[] }).issues ?? []
      const message = e instanceof Error ? e.message : String(e)
      const next: Errors = {}
      for (const issue of issues) {
        const key = issue.path === '' ? 'general' : issue.path
        // The service's own refusals (folder missing, relative path) say more in the message than in the issue.
        next[key] ??= key === 'path' && issues.length === 1 ? message : issue.message
      }
      if (issues.length === 0 && /folder|path|director/i.test(message)) next['path'] = message
      else if (issues.length === 0 || next['general']) setGeneral(next['general'] ?? message)
      setErrors(next)
    } finally {
      setBusy(false)
    }
  }

  // The client's own sum check speaks in percent, like the fields; the service's messages speak in ratios.
  const splitError = sumError ?? errors['split'] ?? errors['split.train'] ?? errors['split.val'] ?? errors['split.test']
  return (
    <Modal
      title="Import a folder of images"
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn btn-primary" disabled={busy} onClick={() => void submit()}>Import</button>
        </>
      }
    >
      <form className="import-form" onSubmit={(e) => { e.preventDefault(); void submit() }}>
        <p className="muted small import-lead">One subfolder per class (e.g. <code>pets/cat/*.jpg</code>, <code>pets/dog/*.jpg</code>). PNG, JPEG, WebP, BMP and GIF; unreadable files are skipped and listed with the reason.</p>
        <Field label="Folder" error={errors['path']}>
          <div className="input-row">
            <input ref={pathInput} aria-label="Folder path" placeholder="/home/me/data/pets" value={path} aria-invalid={errors['path'] ? true : undefined} onChange={(e) => onPath(e.target.value)} spellCheck={false} />
            {canPick && <button type="button" className="btn" onClick={() => void browse()}>Browse…</button>}
          </div>
        </Field>
        <Field label="Name" error={errors['name']}>
          <input aria-label="Dataset name" value={name} aria-invalid={errors['name'] ? true : undefined} onChange={(e) => { setName(e.target.value); setNameTouched(true) }} />
        </Field>
        <div className="form-grid">
          <Field label="Training resolution (H × W, pixels)" error={errors['size.height'] ?? errors['size.width'] ?? errors['size']}>
            <div className="input-row">
              <input aria-label="Height" className="num" inputMode="numeric" value={height} aria-invalid={errors['size.height'] ? true : undefined} onChange={(e) => setHeight(e.target.value)} />
              <span className="muted">×</span>
              <input aria-label="Width" className="num" inputMode="numeric" value={width} aria-invalid={errors['size.width'] ? true : undefined} onChange={(e) => setWidth(e.target.value)} />
            </div>
          </Field>
          <Field label="Channels" error={errors['channels']}>
            <div className="segmented" role="radiogroup" aria-label="Channels">
              {([1, 3] as const).map((c) => (
                <button type="button" key={c} role="radio" aria-checked={channels === c} className={channels === c ? 'on' : ''} onClick={() => setChannels(c)}>
                  {c === 1 ? '1 · grayscale' : '3 · RGB'}
                </button>
              ))}
            </div>
          </Field>
        </div>
        {probe && (
          <p className="muted small" data-testid="folder-probe">
            {probe.classes.length} classes, {probe.images.toLocaleString('en-US')} images found.
          </p>
        )}
        {transparent && (
          <Field label="Transparent pixels" error={errors['background']}>
            <p className="import-alpha" role="status">
              Transparency found: {probe.withAlpha.toLocaleString('en-US')} of the {probe.checked.toLocaleString('en-US')} images checked have an alpha channel. Training images have no
              transparency, so choose what shows through (dark shapes vanish on black).
            </p>
            <div className="segmented" role="radiogroup" aria-label="Background for transparent pixels">
              {BACKGROUNDS.map((b) => (
                <button type="button" key={b.key} role="radio" aria-checked={background === b.key} className={background === b.key ? 'on' : ''} onClick={() => setBackground(b.key)}>
                  {b.label}
                </button>
              ))}
            </div>
            {background === 'colour' && <input type="color" aria-label="Background colour" value={colour} onChange={(e) => setColour(e.target.value)} />}
          </Field>
        )}
        <Field label="When the aspect ratio differs" error={errors['aspect']}>
          <div className="choice-list" role="radiogroup" aria-label="Aspect policy">
            {ASPECT_POLICIES.map((a) => (
              <label key={a} className={`choice${aspect === a ? ' on' : ''}`}>
                <input type="radio" name="aspect" checked={aspect === a} onChange={() => setAspect(a)} />
                <span className="choice-label">{ASPECT_HELP[a].label}</span>
                <span className="choice-help">{ASPECT_HELP[a].help}</span>
              </label>
            ))}
          </div>
        </Field>
        <div className="form-grid">
          <Field label="Split: train / val / test (%)" error={splitError} hint="Stratified per class. The test split is locked: evaluated only on request.">
            <div className="input-row">
              <input aria-label="Train percent" className="num" aria-invalid={splitError ? true : undefined} value={train} onChange={(e) => setTrain(e.target.value)} />
              <input aria-label="Validation percent" className="num" aria-invalid={splitError ? true : undefined} value={val} onChange={(e) => setVal(e.target.value)} />
              <input aria-label="Test percent" className="num" aria-invalid={splitError ? true : undefined} value={test} onChange={(e) => setTest(e.target.value)} />
            </div>
          </Field>
          <Field label="Split seed" error={errors['seed']}>
            <input aria-label="Split seed" className="num" value={seed} aria-invalid={errors['seed'] ? true : undefined} onChange={(e) => setSeed(e.target.value)} />
          </Field>
        </div>
        {general && <div className="form-error" role="alert">{general}</div>}
        <button type="submit" hidden />
      </form>
    </Modal>
  )
}
