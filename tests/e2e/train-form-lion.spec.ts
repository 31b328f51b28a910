/**
 * The Train form renders its optimizer fields from the registry: Lion (one definition in
 * shared/train/optimizer-kinds.ts) is in the list, shows its own β1/β2 with its defaults and its learning rate,
 * says its decay is decoupled, and is kept in the project's saved form.
 */
import { call, expect, test } from './fixtures'

test('Lion in the Train form: its fields, its defaults, its decay convention, saved with the project', async ({ studio }) => {
  const { page, host } = studio
  await page.getByRole('button', { name: 'New project' }).click()
  await page.getByLabel('Project name').fill('Lion form')
  await page.getByRole('button', { name: 'Create', exact: true }).click()
  await expect(page.getByTestId('project-title')).toHaveText('Lion form')
  const projectId = Number(/#\/p\/(\d+)/.exec(page.url())![1])
  await page.getByRole('button', { name: 'Train', exact: true }).click()
  await expect(page.getByLabel('Optimizer')).toHaveValue('adam')
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.001')
  await page.getByLabel('Optimizer').selectOption({ label: 'Lion (sign momentum)' })
  // An untouched learning rate follows the kind's default; Lion's own β2 field (not Adam's 0.999).
  await expect(page.getByLabel('Learning rate', { exact: true })).toHaveValue('0.0001')
  await expect(page.getByLabel('β1', { exact: true })).toHaveValue('0.9')
  await expect(page.getByLabel('β2', { exact: true })).toHaveValue('0.99')
  await expect(page.getByText('Decoupled (Lion)')).toBeVisible()
  await page.getByLabel('β2', { exact: true }).fill('1.5')
  await expect(page.getByRole('alert').filter({ hasText: 'β2 must be in [0, 1), received 1.5' })).toBeVisible()
  await page.getByLabel('β2', { exact: true }).fill('0.98')
  await expect.poll(async () => ((await call(page, host, 'studio:workspace.getTrainForm', { projectId })) as { form: Record<string, unknown> } | null)?.form).toMatchObject({ optimizer: 'lion', lionBeta2: '0.98', learningRate: '0.0001' })
})
