import type { SVGProps } from 'react'
import { Icon, type IconName } from '../ui/icons'

/** The editor's toolbar icons: the app's icon set, drawn a little smaller and bolder. */
export type GlyphName = IconName

export function Glyph({ size = 16, ...rest }: { name: GlyphName; size?: number } & SVGProps<SVGSVGElement>) {
  return <Icon size={size} strokeWidth={1.7} {...rest} />
}
