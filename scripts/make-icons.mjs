// Renders the app icon's PNG sizes from resources/icon.svg (the one source): `node scripts/make-icons.mjs`.
// The PNGs are committed; run this again after editing the SVG.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'

const resources = join(import.meta.dirname, '..', 'resources')
const svg = readFileSync(join(resources, 'icon.svg'))
for (const size of [512, 256]) {
  await sharp(svg, { density: 72 * (size / 512) * 4 }).resize(size, size).png({ compressionLevel: 9 }).toFile(join(resources, `icon-${size}.png`))
  console.log(`resources/icon-${size}.png`)
}
