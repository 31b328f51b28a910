/**
 * The editor's graph layout as a user meets it (issue 12, "The graph layout"): a template opens as a layered
 * graph from the input down with text one can read at fit view, and a palette click adds the layer below the
 * selected one, wired to it, on a free spot.
 */
import { join } from 'node:path'
import type { Locator, Page } from '@playwright/test'
import { expect, test, screenshotDir } from './fixtures'

type Box = { x: number; y: number; width: number; height: number }
const overlap = (a: Box, b: Box) => a.x < b.x + b.width && a.x + a.width > b.x && a.y < b.y + b.height && a.y + a.height > b.y

/** The canvas node that shows `title`. */
const nodeTitled = (page: Page, title: string) => page.locator('.react-flow__node').filter({ has: page.locator('.ln-title', { hasText: new RegExp(`^${title}$`) }) })

async function boxes(nodes: Locator): Promise<{ id: string; box: Box }[]> {
  return nodes.evaluateAll((els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect()
      return { id: el.getAttribute('data-id') ?? '', box: { x: r.x, y: r.y, width: r.width, height: r.height } }
    }),
  )
}

test('ResNet-20 reads top to bottom at fit view; a palette click adds the layer below the selection, wired, on a free spot', async ({ studio }) => {
  const { page } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Layout')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await page.getByRole('option', { name: /^ResNet-20/ }).click()
  await page.getByRole('button', { name: 'Create from ResNet-20 (CIFAR)' }).click()
  await expect(page.getByTestId('design-name')).toHaveText('ResNet-20 (CIFAR)')
  await page.getByRole('button', { name: 'Fit view (the selection, if any)' }).click()
  await page.waitForTimeout(500)

  // Node text is readable at fit view: rendered size of each title (font size x canvas zoom) is at least 11 px.
  const sizes = await page.locator('.react-flow__node .ln-title').evaluateAll((els) => {
    const vp = document.querySelector('.react-flow__viewport')!
    const zoom = new DOMMatrix(getComputedStyle(vp).transform).a
    return els.map((el) => ({ text: el.textContent, px: parseFloat(getComputedStyle(el).fontSize) * zoom, height: el.getBoundingClientRect().height }))
  })
  expect(sizes.length).toBe(11)
  for (const s of sizes) {
    expect(s.px, `title "${s.text}" at fit view`).toBeGreaterThanOrEqual(11)
    expect(s.height, `title "${s.text}" box`).toBeGreaterThanOrEqual(11)
  }
  // The input is on screen (the graph starts at the top) and the layers follow it downwards.
  const canvas = (await page.getByTestId('canvas').boundingBox())!
  const input = (await nodeTitled(page, 'input').boundingBox())!
  expect(input.y).toBeGreaterThanOrEqual(canvas.y)
  expect(input.y + input.height).toBeLessThanOrEqual(canvas.y + canvas.height)
  const top = await boxes(page.locator('.react-flow__node'))
  for (let i = 0; i < top.length; i++) for (let j = i + 1; j < top.length; j++) expect(overlap(top[i]!.box, top[j]!.box), `${top[i]!.id} overlaps ${top[j]!.id}`).toBe(false)
  const y = Object.fromEntries(top.map((n) => [n.id, n.box.y]))
  const chain = ['input', 'conv1', 'bn1', 'relu', 'stage1', 'stage2_0', 'stage2', 'stage3_0', 'stage3', 'avgpool', 'fc']
  for (let i = 1; i < chain.length; i++) expect(y[chain[i]!]!, `${chain[i]} below ${chain[i - 1]}`).toBeGreaterThan(y[chain[i - 1]!]!)
  await page.screenshot({ path: join(screenshotDir(studio), 'editor-resnet20-fit.png') })

  // Select the ReLU after the stem, click "Dropout" in the palette: the new layer sits below it, wired from it,
  // and covers no other layer (the stage 1 block is right below the ReLU).
  const relu = nodeTitled(page, 'relu')
  await relu.click()
  await expect(relu).toHaveClass(/selected/)
  const before = (await relu.boundingBox())!
  await page.getByRole('complementary', { name: 'Layer palette' }).getByRole('button', { name: 'Dropout', exact: true }).click()
  await expect(page.locator('.react-flow__node')).toHaveCount(12)
  const added = nodeTitled(page, 'dropout1')
  await expect(added).toHaveClass(/selected/)
  await expect(page.getByRole('group', { name: 'Edge from relu to dropout1' })).toHaveCount(1)
  await page.waitForTimeout(300)
  const anchor = (await relu.boundingBox())!
  const box = (await added.boundingBox())!
  expect(anchor.y).toBeCloseTo(before.y, 0) // the view did not jump
  expect(box.y, 'the new layer is below the selected one').toBeGreaterThan(anchor.y + anchor.height)
  for (const other of await boxes(page.locator('.react-flow__node:not([data-id="dropout1"])'))) expect(overlap(box, other.box), `the new layer covers ${other.id}`).toBe(false)

  // A residual block expanded in place lays out top to bottom too; fit view still keeps its text readable
  // (the graph is now taller than the pane: it scrolls instead of shrinking).
  await page.getByRole('button', { name: 'Expand Basic block 16' }).click()
  await expect(page.getByTestId('block-group')).toBeVisible()
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } })
  await page.getByRole('button', { name: 'Fit view (the selection, if any)' }).click()
  await page.waitForTimeout(500)
  const zoom = await page.locator('.react-flow__viewport').evaluate((vp) => new DOMMatrix(getComputedStyle(vp).transform).a)
  const fontPx = parseFloat(await page.locator('.react-flow__node .ln-title').first().evaluate((el) => getComputedStyle(el).fontSize))
  expect(fontPx * zoom, 'node text with a block expanded, at fit view').toBeGreaterThanOrEqual(11)
  const inner = await boxes(page.locator('.react-flow__node[data-id^="stage1/0/"]'))
  expect(inner.length).toBe(9)
  for (let i = 0; i < inner.length; i++) for (let j = i + 1; j < inner.length; j++) expect(overlap(inner[i]!.box, inner[j]!.box), `${inner[i]!.id} overlaps ${inner[j]!.id}`).toBe(false)
  const iy = Object.fromEntries(inner.map((n) => [n.id.slice('stage1/0/'.length), n.box.y]))
  for (const [a, c] of [['in', 'conv1'], ['conv1', 'bn1'], ['bn1', 'relu1'], ['relu1', 'conv2'], ['conv2', 'bn2'], ['bn2', 'add'], ['add', 'relu2'], ['relu2', 'out']] as const) expect(iy[c]!, `${c} below ${a}`).toBeGreaterThan(iy[a]!)
  const group = (await page.getByTestId('block-group').boundingBox())!
  for (const other of await boxes(page.locator('.react-flow__node:not([data-id^="stage1"])'))) expect(overlap(group, other.box), `the expanded block covers ${other.id}`).toBe(false)
  await page.screenshot({ path: join(screenshotDir(studio), 'editor-block-expanded-fit.png') })
})
