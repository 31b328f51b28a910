import { join } from 'node:path'
import type { Page } from '@playwright/test'
import { expect, test, type StudioSession, screenshotDir } from './fixtures'

async function createProject(studio: StudioSession, name: string) {
  const { page } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill(name)
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText(name)
}

const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`)

/** Drag a palette item onto the canvas at (x, y) relative to the canvas. */
async function dropLayer(page: Page, label: string, x: number, y: number) {
  await page.getByRole('button', { name: label, exact: true }).dragTo(page.getByTestId('canvas'), { targetPosition: { x, y } })
}

/** Drag a wire from a node's output handle to an input handle of another node. */
async function wire(page: Page, from: string, to: string, input = 0) {
  const src = node(page, from).locator('.react-flow__handle.source')
  const dst = node(page, to).locator(`.react-flow__handle.target[data-handleid="in-${input}"]`)
  const a = (await src.boundingBox())!
  const b = (await dst.boundingBox())!
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2)
  await page.mouse.down()
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 10, { steps: 5 })
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 })
  await page.mouse.up()
}

const shapeOf = (page: Page, id: string) => node(page, id).getByTestId('node-shape')


test('build a residual network from the palette, break it, undo, and find it again after a reload', async ({ studio }) => {
  const { page } = studio
  await createProject(studio, 'Residual from scratch')
  // An empty project offers templates and a blank design.
  await expect(page.getByTestId('template-gallery')).toBeVisible()
  await page.getByRole('option', { name: /^Blank design/ }).click()
  await page.getByRole('button', { name: 'Create blank design' }).click()
  await expect(page.getByTestId('architecture-editor')).toBeVisible()

  // Drag the layers from the palette (HTML5 drag and drop).
  await dropLayer(page, 'Input', 110, 120)
  await dropLayer(page, 'Conv 2D', 330, 120)
  await dropLayer(page, 'Batch norm', 550, 120)
  await dropLayer(page, 'ReLU', 110, 320)
  await dropLayer(page, 'Conv 2D', 330, 320)
  await dropLayer(page, 'Add (residual)', 550, 320)
  await expect(page.locator('.react-flow__node')).toHaveCount(6)
  for (const id of ['input1', 'conv2d1', 'batchnorm1', 'relu1', 'conv2d2', 'add1']) await expect(node(page, id)).toBeVisible()
  // Not connected yet: said in words on the node.
  await expect(node(page, 'conv2d1').getByTestId('node-error')).toContainText('has no input')

  await wire(page, 'input1', 'conv2d1')
  await wire(page, 'conv2d1', 'batchnorm1')
  await wire(page, 'batchnorm1', 'relu1')
  await wire(page, 'relu1', 'conv2d2')
  await wire(page, 'conv2d2', 'add1', 0)
  await wire(page, 'conv2d1', 'add1', 1) // the skip connection
  await expect(page.locator('.react-flow__edge')).toHaveCount(6)

  // Output shapes follow the graph: 32x32x3 -> conv 32 filters, same padding -> 32x32x32.
  await expect(shapeOf(page, 'input1')).toHaveText('32x32x3')
  await expect(shapeOf(page, 'conv2d1')).toHaveText('32x32x32')
  await expect(shapeOf(page, 'add1')).toHaveText('32x32x32')
  await expect(page.getByTestId('error-count')).toHaveText('No errors')

  // A refused connection says why.
  await wire(page, 'add1', 'conv2d1')
  await expect(page.getByTestId('editor-notice')).toContainText('would create a cycle')
  await expect(page.locator('.react-flow__edge')).toHaveCount(6)

  // Break the Add: the second conv gets 16 filters, so the two inputs differ.
  await node(page, 'conv2d2').click()
  const filters = page.getByLabel('Filters')
  await filters.fill('-3')
  await expect(page.getByRole('alert').filter({ hasText: 'filters must be a positive integer, received -3' })).toBeVisible()
  await expect(shapeOf(page, 'conv2d2')).toHaveText('32x32x32') // invalid values are not applied
  await filters.fill('16')
  await expect(shapeOf(page, 'conv2d2')).toHaveText('32x32x16')
  const addError = node(page, 'add1').getByTestId('node-error')
  await expect(addError).toContainText(/inputs must all have the same shape, but input 0 is \[32, 32, 16\] and input 1 is \[32, 32, 32\]/i)
  await expect(page.getByTestId('error-count')).toHaveText('1 error')
  await page.screenshot({ path: join(screenshotDir(studio), 'editor-error.png') })

  // Undo from the canvas.
  await page.locator('.react-flow__pane').click({ position: { x: 700, y: 560 } })
  await page.keyboard.press('Control+z')
  await expect(shapeOf(page, 'conv2d2')).toHaveText('32x32x32')
  await expect(addError).toHaveCount(0)
  await expect(page.getByTestId('error-count')).toHaveText('No errors')

  // Autosaved: after a reload the graph is as it was.
  await expect(page.getByTestId('save-status')).toHaveText('Saved')
  await page.reload()
  await expect(page.locator('.react-flow__node')).toHaveCount(6)
  await expect(page.locator('.react-flow__edge')).toHaveCount(6)
  await expect(shapeOf(page, 'add1')).toHaveText('32x32x32')
  await expect(shapeOf(page, 'conv2d2')).toHaveText('32x32x32')
})

test('templates, blocks collapsed and expanded, named versions, import refusal; screenshots', async ({ studio }) => {
  const { page } = studio
  const dir = screenshotDir(studio)
  await createProject(studio, 'CIFAR-10 ResNet-20')
  await page.getByRole('option', { name: /^ResNet-20/ }).click()
  await expect(page.getByLabel('Input size')).toHaveValue('32x32x3')
  await page.getByRole('button', { name: 'Create from ResNet-20 (CIFAR)' }).click()
  await expect(page.getByTestId('design-name')).toHaveText('ResNet-20 (CIFAR)')
  await expect(page.getByTestId('design-pill')).toHaveText('ResNet-20 (CIFAR) · v1')
  await expect(page.getByTestId('total-params')).toContainText('274.0 K')
  await expect(shapeOf(page, 'fc')).toHaveText('10')
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(dir, 'editor-resnet20.png') })

  // A block: collapsed, with its repeat count and inner table in the inspector.
  await node(page, 'stage1').click()
  await expect(node(page, 'stage1')).toContainText('x3')
  await expect(page.getByLabel('Repeat')).toHaveValue('3')
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText('Layers inside (21)')
  await page.screenshot({ path: join(dir, 'editor-block-collapsed.png') })
  await node(page, 'stage1').getByRole('button', { name: /^Expand/ }).click()
  await expect(page.getByTestId('block-group')).toBeVisible()
  await expect(page.locator('.react-flow__node[data-id="stage1/0/conv1"]')).toContainText('16 · 3x3 same')
  await page.getByRole('button', { name: 'Fit view (the selection, if any)' }).click()
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(dir, 'editor-block-expanded.png') })
  // Expanded in place to edit: an inner layer's parameters change the block (all three repetitions).
  await page.locator('.react-flow__node[data-id="stage1/0/conv1"]').click()
  await expect(page.getByTestId('inner-layer-note')).toContainText('all 3 repetitions')
  await page.getByRole('complementary', { name: 'Inspector' }).getByLabel('Use bias').check()
  await expect(page.getByTestId('total-params')).toContainText('272,522 trainable') // + 16 biases x 3 repetitions
  await page.getByRole('button', { name: 'Undo', exact: true }).click()
  await expect(page.getByTestId('total-params')).toContainText('272,474 trainable')
  await page.getByTestId('block-group').getByRole('button', { name: /^Collapse/ }).click()
  await expect(page.getByTestId('block-group')).toHaveCount(0)

  // Norm picture and dropout convention in the inspector.
  await node(page, 'bn1').click()
  await expect(page.getByRole('img', { name: /per channel, over the batch/ })).toBeVisible()

  // Named version, then the history lists it.
  await page.getByRole('button', { name: 'Save version' }).click()
  await page.getByLabel('Version name').fill('baseline')
  await page.getByRole('button', { name: 'Save version', exact: true }).last().click()
  await page.getByTestId('history-menu').click()
  await expect(page.getByRole('menuitem').filter({ hasText: 'baseline' })).toBeVisible()
  await page.keyboard.press('Escape')

  // A graph file from a newer format is refused with the reason.
  await page.getByTestId('import-file').setInputFiles({ name: 'future.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ format: 99, nodes: [], edges: [], blocks: [] })) })
  await expect(page.getByTestId('editor-notice')).toContainText('Cannot import “future.json”')

  // Light theme, nothing selected, the whole design in view.
  await page.getByTestId('editor-notice').click()
  await page.locator('body').click({ position: { x: 5, y: 5 } })
  await page.keyboard.press('Escape')
  await expect(page.getByRole('complementary', { name: 'Inspector' })).toContainText('Select a layer')
  await page.keyboard.press('Control+Shift+L')
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light')
  await page.getByRole('button', { name: 'Fit view (the selection, if any)' }).click()
  await page.waitForTimeout(400)
  await page.screenshot({ path: join(dir, 'editor-resnet20-light.png') })
})
