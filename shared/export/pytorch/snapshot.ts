/** run.json (the run snapshot) and split.json (the train/val/test cache indices) of the PyTorch export. */
import type { PytorchExportPart } from './part'

export const snapshotPart: PytorchExportPart = {
  id: 'snapshot',
  files: (input) => [
    { path: 'run.json', text: JSON.stringify(input.snapshot, null, 2) + '\n' },
    ...(input.split ? [{ path: 'split.json', text: JSON.stringify({ train: input.split.train, val: input.split.val, test: input.split.test }) + '\n' }] : []),
  ],
  readme: (input) => `## The run (run.json${input.split ? ', split.json' : ''})

\`run.json\` is the studio's snapshot of the ${input.run ? `run (${input.run.id}, "${input.run.name}")` : 'design'}: the architecture document
(\`architecture.document\`), the dataset (\`dataset\`: classes, image shape, split, per-channel mean and std), the
augmentation pipeline (\`pipeline.document\`), the training configuration (\`training\`) and the seed.
${
  input.split
    ? `\`split.json\` holds the dataset-cache positions of the images of each split (\`train\`, \`val\`, \`test\`), as the
studio split them, so validation uses the same images; the test split is for \`--test\` only.`
    : 'It was exported from files, without a dataset: there is no split.json.'
}
`,
  requirements: ['torch>=1.13'],
}
