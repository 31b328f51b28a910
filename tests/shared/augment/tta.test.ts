import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { NO_TTA, TEN_CROP, parseTtaSpec, ttaCropBox, ttaMerge, ttaViewList, ttaViews } from '../../../shared/augment'
import { expectClose, expectNoLeak, useCpuBackend } from './helpers'

beforeAll(useCpuBackend)

describe('TTA views', () => {
  it('lists views in the documented order', () => {
    const views = ttaViewList(TEN_CROP)
    expect(views).toHaveLength(10)
    expect(views.map((v) => `${v.crop}${v.flipped ? '+flip' : ''}`)).toEqual([
      'center', 'topLeft', 'topRight', 'bottomLeft', 'bottomRight',
      'center+flip', 'topLeft+flip', 'topRight+flip', 'bottomLeft+flip', 'bottomRight+flip',
    ])
    expect(ttaViewList({ crops: 'center', cropFractions: [0.5, 0.75], flip: false }).map((v) => v.fraction)).toEqual([0.5, 0.75])
    expect(ttaViewList(NO_TTA)).toEqual([{ index: 0, crop: 'full', fraction: 1, flipped: false }])
  })

  it('crop boxes: centre and corners', () => {
    expect(ttaCropBox({ crop: 'center', fraction: 0.5 }, 4, 6)).toEqual({ top: 1, left: 1, height: 2, width: 3 })
    expect(ttaCropBox({ crop: 'bottomRight', fraction: 0.5 }, 4, 6)).toEqual({ top: 2, left: 3, height: 2, width: 3 })
    expect(ttaCropBox({ crop: 'topRight', fraction: 0.5 }, 4, 6)).toEqual({ top: 0, left: 3, height: 2, width: 3 })
    expect(ttaCropBox({ crop: 'bottomLeft', fraction: 0.5 }, 4, 6)).toEqual({ top: 2, left: 0, height: 2, width: 3 })
  })

  it('no TTA is the identity; a flip view reverses columns', () => {
    expectNoLeak(() => {
      const images = tf.tensor4d(Array.from({ length: 2 * 3 * 3 }, (_, i) => i / 18), [2, 3, 3, 1])
      const same = ttaViews(NO_TTA, images)
      expectClose(same.arraySync(), images.arraySync(), 1e-6)
      const flipped = ttaViews({ crops: 'full', cropFractions: [1], flip: true }, images)
      expect(flipped.shape).toEqual([4, 3, 3, 1])
      const arr = flipped.arraySync()
      const src = images.arraySync()
      expectClose(arr[0], src[0], 1e-6)
      expectClose(arr[1], src[1], 1e-6)
      expectClose(arr[2], (src[0] as number[][][]).map((row) => [...row].reverse()), 1e-6)
      expectClose(arr[3], (src[1] as number[][][]).map((row) => [...row].reverse()), 1e-6)
      tf.dispose([images, same, flipped])
    })
  })

  it('five crops at half size are the exact pixel blocks, view-major', () => {
    expectNoLeak(() => {
      // Two 4x4 images; image n has value 100 n + 10 y + x.
      const values = Array.from({ length: 2 * 16 }, (_, i) => 100 * Math.floor(i / 16) + 10 * Math.floor((i % 16) / 4) + (i % 4))
      const images = tf.tensor4d(values, [2, 4, 4, 1])
      const views = ttaViews({ crops: 'fiveCrop', cropFractions: [0.5], flip: false }, images, [2, 2])
      expect(views.shape).toEqual([10, 2, 2, 1])
      const arr = views.arraySync()
      const block = (n: number, top: number, left: number) => [
        [[100 * n + 10 * top + left], [100 * n + 10 * top + left + 1]],
        [[100 * n + 10 * (top + 1) + left], [100 * n + 10 * (top + 1) + left + 1]],
      ]
      const corners: [number, number][] = [[1, 1], [0, 0], [0, 2], [2, 0], [2, 2]]
      corners.forEach(([top, left], v) => {
        for (let n = 0; n < 2; n++) expectClose(arr[v * 2 + n], block(n, top, left), 1e-4)
      })
      tf.dispose([images, views])
    })
  })

  it('ttaMerge averages views back to one row per image', () => {
    expectNoLeak(() => {
      // V = 2 views, N = 3 images, K = 2.
      const preds = tf.tensor2d([
        [1, 0], [0, 1], [0.5, 0.5],
        [0, 1], [0, 1], [0.5, 0.5],
      ])
      const merged = ttaMerge(preds, 2)
      expectClose(merged.arraySync(), [[0.5, 0.5], [0, 1], [0.5, 0.5]], 1e-7)
      expect(() => ttaMerge(preds, 4)).toThrow('ttaMerge: 6 prediction rows are not a whole number of 4 views')
      tf.dispose([preds, merged])
    })
  })

  it('validates the spec', () => {
    expect(() => parseTtaSpec({ crops: 'center', cropFractions: [1.5], flip: true })).toThrow(
      'Test-time augmentation: cropFractions[0] must be in (0, 1], received 1.5',
    )
    expect(() => parseTtaSpec({ crops: 'center', cropFractions: [], flip: true })).toThrow(/at least one fraction/)
    expect(parseTtaSpec(TEN_CROP)).toEqual(TEN_CROP)
  })
})
