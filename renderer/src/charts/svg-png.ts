/** An SVG document rasterized to PNG bytes in the page (an image of the SVG drawn onto a canvas at `scale`). */
export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const size = /<svg[^>]*\swidth="(\d+(?:\.\d+)?)"[^>]*\sheight="(\d+(?:\.\d+)?)"/.exec(svg)
  if (!size) throw new Error('The chart’s SVG has no width and height, so it cannot be turned into a PNG')
  const w = Number(size[1])
  const h = Number(size[2])
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve()
      img.onerror = () => reject(new Error('The chart’s SVG could not be drawn as an image'))
      img.src = url
    })
    const canvas = document.createElement('canvas')
    canvas.width = Math.round(w * scale)
    canvas.height = Math.round(h * scale)
    const ctx = canvas.getContext('2d')
    if (!ctx) throw new Error('This page cannot draw on a canvas, so no PNG can be made')
    ctx.scale(scale, scale)
    ctx.drawImage(img, 0, 0, w, h)
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'))
    if (!blob) throw new Error('The PNG could not be encoded')
    return new Uint8Array(await blob.arrayBuffer())
  } finally {
    URL.revokeObjectURL(url)
  }
}
