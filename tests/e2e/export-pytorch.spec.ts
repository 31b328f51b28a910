/**
 * "Export as PyTorch project..." in the browser host (no folder picker: a folder field, suggested under the data
 * folder's exports/): the Train view writes the current design + pipeline + form; the runs table's row action and
 * the run detail write a run. Checks the files on disk (model.py, train.py, data.py, augment.py, convert.py,
 * run.json, split.json, README.md, requirements.txt), that run.json is the form's snapshot and the run's, that
 * split.json is the dataset's split, the message with the written path, and the refusals said in words: a path
 * with "..", a relative path, a folder that is not empty.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { call, expect, setupToyMnist, test } from './fixtures'

const FILES = ['model.py', 'train.py', 'data.py', 'augment.py', 'convert.py', 'run.json', 'split.json', 'README.md', 'requirements.txt']

test('export the Train form and a run as PyTorch projects (browser host: folder field, path guard)', async ({ studio }) => {
  test.skip(studio.host !== 'browser', 'The browser host has the folder field; Electron opens its folder dialog')
  test.setTimeout(180_000)
  const { page, host, dataDir } = studio
  const projectId = await setupToyMnist(studio, { project: 'Export', learningRate: '0.004', count: 120 })
  const [dataset] = await call<{ id: number }[]>(page, host, 'studio:datasets.list', { projectId })
  const splits: Record<string, number[]> = {}
  for (const split of ['train', 'val', 'test']) {
    splits[split] = (await call<{ indices: number[] }>(page, host, 'studio:datasets.readSplit', { id: dataset!.id, split, limit: 10_000, allowTest: true, withImages: false })).indices
  }

  // The Train view: the form as it stands (batch 32, lr 0.004, 1 epoch, seed 3).
  await page.getByTestId('export-pytorch').click()
  const dialog = page.getByRole('dialog', { name: 'Export as PyTorch project' })
  const field = dialog.getByTestId('pytorch-export-folder-input')
  const formFolder = join(dataDir, 'exports', 'Toy-ConvNet')
  await expect(field).toHaveValue(formFolder)
  await dialog.getByTestId('pytorch-export-write').click()
  const done = page.getByRole('dialog', { name: 'PyTorch project written' })
  await expect(done.getByTestId('pytorch-export-folder')).toHaveText(formFolder)
  const written = readdirSync(formFolder, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length
  await expect(done.getByTestId('pytorch-export-done')).toHaveText(`Wrote ${written} files to ${formFolder}`)
  await expect(done.getByTestId('pytorch-export-command')).toContainText(`python train.py --data "${join(dataDir, 'datasets', String(dataset!.id))}"`)
  for (const f of FILES) expect(existsSync(join(formFolder, f)), f).toBe(true)
  const formSnapshot = JSON.parse(readFileSync(join(formFolder, 'run.json'), 'utf8')) as { kind: string; architecture: { name: string }; training: { batchSize: number; learningRate: number; epochs: number; seed: number }; dataset: { id: number } }
  expect(formSnapshot).toMatchObject({ kind: 'cnn-studio/train', architecture: { name: 'Toy ConvNet' }, training: { batchSize: 32, learningRate: 0.004, epochs: 1, seed: 3 }, dataset: { id: dataset!.id } })
  expect(JSON.parse(readFileSync(join(formFolder, 'split.json'), 'utf8'))).toEqual(splits)
  await done.getByRole('button', { name: 'Close' }).click()

  // A run (made from that snapshot through the API, as Start would), exported from its row in the runs table.
  const run = await call<{ id: number; name: string }>(page, host, 'studio:runs.create', { projectId, name: 'Toy run', config: formSnapshot, datasetId: dataset!.id })
  await page.getByRole('button', { name: 'Runs', exact: true }).click()
  await page.getByRole('button', { name: 'Actions for Toy run' }).click()
  await page.getByRole('menu', { name: 'Actions for Toy run' }).getByRole('menuitem', { name: 'Export as PyTorch project…' }).click()
  const runDialog = page.getByRole('dialog', { name: 'Export as PyTorch project' })
  const runField = runDialog.getByTestId('pytorch-export-folder-input')
  const runFolder = join(dataDir, 'exports', 'Toy-run')
  await expect(runField).toHaveValue(runFolder)
  // Unsafe paths are refused by the path guard, and nothing is written.
  const escape = `${basename(dataDir)}-escape`
  await runField.fill(`${dataDir}/exports/../../${escape}`)
  await runDialog.getByTestId('pytorch-export-write').click()
  await expect(runDialog.getByRole('alert')).toContainText('contains “..”')
  await runField.fill('exports/relative')
  await runDialog.getByTestId('pytorch-export-write').click()
  await expect(runDialog.getByRole('alert')).toContainText('is relative')
  expect(existsSync(join(dataDir, '..', escape))).toBe(false)
  // A folder that is not empty needs "Replace files already there".
  await runField.fill(formFolder)
  await runDialog.getByTestId('pytorch-export-write').click()
  await expect(runDialog.getByRole('alert')).toContainText('is not empty')
  await runField.fill(runFolder)
  await runDialog.getByTestId('pytorch-export-write').click()
  const runDone = page.getByRole('dialog', { name: 'PyTorch project written' })
  await expect(runDone.getByTestId('pytorch-export-folder')).toHaveText(runFolder)
  for (const f of FILES) expect(existsSync(join(runFolder, f)), f).toBe(true)
  const runJson = JSON.parse(readFileSync(join(runFolder, 'run.json'), 'utf8')) as { run: { id: number; name: string }; training: unknown }
  expect(runJson.run).toEqual({ id: run.id, name: 'Toy run' })
  expect(runJson.training).toEqual(formSnapshot.training)
  expect(JSON.parse(readFileSync(join(runFolder, 'split.json'), 'utf8'))).toEqual(splits)
  expect(readFileSync(join(runFolder, 'README.md'), 'utf8')).toContain(`Run ${run.id} "Toy run"`)
  await runDone.getByRole('button', { name: 'Close' }).click()

  // The run detail: the next free folder is suggested (Toy-run is taken).
  await page.getByRole('button', { name: 'Toy run', exact: true }).click()
  await expect(page.getByTestId('run-detail')).toBeVisible()
  await page.getByRole('button', { name: 'Export as PyTorch project…' }).click()
  await expect(page.getByTestId('pytorch-export-folder-input')).toHaveValue(`${runFolder}-2`)
  await page.getByTestId('pytorch-export-write').click()
  await expect(page.getByTestId('pytorch-export-folder')).toHaveText(`${runFolder}-2`)
  expect(readFileSync(join(`${runFolder}-2`, 'model.py'), 'utf8')).toBe(readFileSync(join(runFolder, 'model.py'), 'utf8'))
})
