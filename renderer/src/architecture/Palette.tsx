import { useMemo, useState, type KeyboardEvent } from 'react'
import { listLayers, type LayerFamily } from '@shared/graph'
import { Glyph } from './glyphs'
import { useEditor } from './session'
import { BUILTIN_BLOCKS, PALETTE_MIME, addFromPalette } from './view'

const FAMILIES: [LayerFamily, string][] = [
  ['input', 'Input'],
  ['convolution', 'Convolution'],
  ['pooling', 'Pooling'],
  ['normalization', 'Normalization'],
  ['activation', 'Activation'],
  ['regularization', 'Regularization'],
  ['merge', 'Merge'],
  ['reshape', 'Reshape'],
  ['dense', 'Dense'],
  ['output', 'Output'],
]

interface Item {
  key: string
  label: string
  description: string
  family: string
}

function PaletteItem({ item }: { item: Item }) {
  const add = () => addFromPalette(item.key, null, { connect: true })
  return (
    <li>
      <button
        className="pal-item"
        draggable
        data-item={item.key}
        title={`${item.description}\n\nDrag onto the canvas, or click / Enter to add (after the selected layer).`}
        onDragStart={(e) => {
          e.dataTransfer.setData(PALETTE_MIME, item.key)
          e.dataTransfer.effectAllowed = 'copy'
        }}
        onClick={add}
        onKeyDown={(e: KeyboardEvent) => {
          if (e.key === 'Enter') {
            e.preventDefault()
            add()
          }
        }}
      >
        <span className={`pal-swatch fam-${item.family}`} />
        <span className="pal-label">{item.label}</span>
      </button>
    </li>
  )
}

export function Palette() {
  const [query, setQuery] = useState('')
  const blocks = useEditor((s) => s.doc.blocks)
  const readOnly = useEditor((s) => s.readOnly !== null)
  const layers = useMemo(() => listLayers(), [])
  const q = query.trim().toLowerCase()
  const match = (i: Item) => !q || i.label.toLowerCase().includes(q) || i.key.toLowerCase().includes(q) || i.description.toLowerCase().includes(q)
  const groups = FAMILIES.map(([family, title]) => ({
    title,
    items: layers.filter((l) => l.family === family).map((l) => ({ key: `layer:${l.kind}`, label: l.label, description: l.description, family })).filter(match),
  })).filter((g) => g.items.length > 0)
  const builtins = BUILTIN_BLOCKS.map((b) => ({ key: `builtin:${b.key}`, label: b.label, description: b.description, family: 'block' })).filter(match)
  const user = blocks.map((b) => ({ key: `user:${b.id}`, label: b.name, description: b.description ?? `Block "${b.name}" of this design`, family: 'block' })).filter(match)
  return (
    <aside className={`palette${readOnly ? ' disabled' : ''}`} aria-label="Layer palette">
      <div className="panel-title">Layers</div>
      <label className="pal-search">
        <Glyph name="search" size={13} />
        <input value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Search layers" aria-label="Search layers" />
      </label>
      <div className="pal-scroll">
        {groups.map((g) => (
          <section key={g.title} className="pal-group">
            <h3>{g.title}</h3>
            <ul>{g.items.map((i) => <PaletteItem key={i.key} item={i} />)}</ul>
          </section>
        ))}
        {builtins.length > 0 && (
          <section className="pal-group">
            <h3>Blocks</h3>
            <ul>{builtins.map((i) => <PaletteItem key={i.key} item={i} />)}</ul>
          </section>
        )}
        {user.length > 0 && (
          <section className="pal-group">
            <h3>Blocks in this design</h3>
            <ul>{user.map((i) => <PaletteItem key={i.key} item={i} />)}</ul>
          </section>
        )}
        {groups.length + builtins.length + user.length === 0 && <p className="pal-empty">No layer matches “{query}”.</p>}
      </div>
    </aside>
  )
}
