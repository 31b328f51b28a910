import { describe, expect, it } from 'vitest'
import { ChannelStatsAccumulator, channelStats, normalizeParamsFromStats } from '../../../shared/augment'
import { createRng } from '../../../shared/random'

/** Independent reference: exact integer sums with BigInt, then mean and population variance. */
function reference(data: Uint8Array, channels: number, scale = 1 / 255): { mean: number[]; std: number[] } {
  const mean: number[] = []
  const std: number[] = []
  for (let c = 0; c < channels; c++) {
    let n = 0n
    let sum = 0n
    let sumSq = 0n
    for (let i = c; i < data.length; i += channels) {
      const v = BigInt(data[i] as number)
      n += 1n
      sum += v
      sumSq += v * v
    }
    // variance * n^2 = n * sumSq - sum^2, exact in integers.
    const varTimesN2 = n * sumSq - sum * sum
    mean.push((Number(sum) / Number(n)) * scale)
    std.push((Math.sqrt(Number(varTimesN2)) / Number(n)) * scale)
  }
  return { mean, std }
}

function randomImages(count: number, h: number, w: number, c: number, seed: string, lo = 0, hi = 255): Uint8Array {
  const rng = createRng(seed)
  const out = new Uint8Array(count * h * w * c)
  for (let i = 0; i < out.length; i++) out[i] = rng.int(lo, hi) + (i % c) * 0 // channels share the range
  // Give channels different distributions so a channel mix-up would show.
  for (let i = 0; i < out.length; i += c) {
    if (c > 1) out[i + 1] = Math.min(255, (out[i + 1] as number) >> 1)
    if (c > 2) out[i + 2] = 255 - (out[i + 2] as number)
  }
  return out
}

describe('channelStats', () => {
  it('matches an exact independent reference within 1e-4 (RGB)', () => {
    const data = randomImages(9, 7, 5, 3, 'rgb')
    const stats = channelStats(data, { height: 7, width: 5, channels: 3 })
    const ref = reference(data, 3)
    expect(stats.count).toBe(9 * 7 * 5)
    expect(stats.channels).toBe(3)
    stats.mean.forEach((m, c) => expect(Math.abs(m - (ref.mean[c] as number))).toBeLessThan(1e-4))
    stats.std.forEach((s, c) => expect(Math.abs(s - (ref.std[c] as number))).toBeLessThan(1e-4))
    // It is in fact far tighter than that.
    stats.mean.forEach((m, c) => expect(Math.abs(m - (ref.mean[c] as number))).toBeLessThan(1e-12))
  })

  it('stays accurate on a large offset with tiny variance (where naive sum-of-squares cancels)', () => {
    const data = randomImages(400, 16, 16, 1, 'offset', 253, 255)
    const stats = channelStats(data, { height: 16, width: 16, channels: 1 }, { scale: 1 })
    const ref = reference(data, 1, 1)
    expect(Math.abs((stats.mean[0] as number) - (ref.mean[0] as number))).toBeLessThan(1e-9)
    expect(Math.abs((stats.std[0] as number) - (ref.std[0] as number))).toBeLessThan(1e-9)
  })

  it('streaming in chunks and merging accumulators give the one-shot answer', () => {
    const data = randomImages(12, 4, 4, 3, 'chunks')
    const oneShot = channelStats(data, { height: 4, width: 4, channels: 3 })
    const streamed = new ChannelStatsAccumulator(3)
    for (let i = 0; i < 12; i += 5) streamed.addUint8(data.subarray(i * 48, Math.min(12, i + 5) * 48))
    const a = new ChannelStatsAccumulator(3).addUint8(data.subarray(0, 6 * 48))
    const b = new ChannelStatsAccumulator(3).addUint8(data.subarray(6 * 48))
    for (const r of [streamed.result(), a.merge(b).result()]) {
      r.mean.forEach((m, c) => expect(m).toBeCloseTo(oneShot.mean[c] as number, 12))
      r.std.forEach((s, c) => expect(s).toBeCloseTo(oneShot.std[c] as number, 12))
    }
  })

  it('float input (Welford) agrees with the same values given as Uint8', () => {
    const data = randomImages(5, 6, 6, 3, 'float')
    const floats = Float32Array.from(data, (v) => v / 255)
    const u = channelStats(data, { height: 6, width: 6, channels: 3 })
    const f = new ChannelStatsAccumulator(3).addFloat(floats).result()
    f.mean.forEach((m, c) => expect(Math.abs(m - (u.mean[c] as number))).toBeLessThan(1e-6))
    f.std.forEach((s, c) => expect(Math.abs(s - (u.std[c] as number))).toBeLessThan(1e-6))
    // Mixed: half as bytes, half as floats.
    const half = 5 * 6 * 6 * 3 - 2 * 6 * 6 * 3
    const mixed = new ChannelStatsAccumulator(3).addUint8(data.subarray(0, half)).addFloat(floats.subarray(half)).result()
    mixed.mean.forEach((m, c) => expect(Math.abs(m - (u.mean[c] as number))).toBeLessThan(1e-6))
    mixed.std.forEach((s, c) => expect(Math.abs(s - (u.std[c] as number))).toBeLessThan(1e-6))
  })

  it('constant images: std 0, and normalize params avoid dividing by zero', () => {
    const stats = channelStats(new Uint8Array(2 * 2 * 2 * 3).fill(51), { height: 2, width: 2, channels: 3 })
    expect(stats.mean).toEqual([0.2, 0.2, 0.2])
    expect(stats.std).toEqual([0, 0, 0])
    expect(normalizeParamsFromStats(stats)).toEqual({ mean: [0.2, 0.2, 0.2], std: [1, 1, 1] })
  })

  it('refuses ragged buffers and empty input', () => {
    expect(() => channelStats(new Uint8Array(10), { height: 2, width: 2, channels: 3 })).toThrow(
      'Channel stats: buffer length 10 is not a whole number of 2x2x3 images',
    )
    expect(() => new ChannelStatsAccumulator(3).result()).toThrow('Channel stats: no pixels were added')
    expect(() => new ChannelStatsAccumulator(3).addFloat([1, 2])).toThrow(/not a multiple of 3 channels/)
    expect(() => new ChannelStatsAccumulator(1).addFloat([Number.NaN])).toThrow(/not finite/)
    expect(() => new ChannelStatsAccumulator(3).merge(new ChannelStatsAccumulator(1))).toThrow(/cannot merge/)
  })
})
