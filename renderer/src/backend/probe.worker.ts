/// <reference lib="webworker" />
import { selectBackend } from './backends'

// Runs in a worker, where training will run, so the answer is the backend training will get.
self.onmessage = async () => {
  self.postMessage(await selectBackend())
}
