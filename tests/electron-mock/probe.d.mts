import type { MainReport } from './expectations'
export declare const FOREIGN_URLS: string[]
export declare const OWN_URLS: string[]
export declare const PERMISSIONS: string[]
export declare function probeMain(): Promise<MainReport>
export declare function quitMain(): void
