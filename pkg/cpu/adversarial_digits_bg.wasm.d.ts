/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const __wbg_engine_free: (a: number, b: number) => void;
export const attackMethods: () => any;
export const checkWeights: (a: number, b: number) => [number, number];
export const engine_attack: (a: number, b: number, c: number, d: number, e: any) => any;
export const engine_backend: (a: number) => [number, number];
export const engine_classify: (a: number, b: number, c: number) => any;
export const engine_create: (a: number, b: number, c: number, d: number) => any;
export const engine_gradient: (a: number, b: number, c: number, d: number) => any;
export const engine_minimalEpsilon: (a: number, b: number, c: number, d: number, e: any, f: number, g: number) => any;
export const hasWebGpu: () => number;
export const parseMnist: (a: number, b: number, c: number, d: number) => [number, number, number];
export const preprocessRgba: (a: number, b: number, c: number, d: number) => [number, number, number];
export const randomNoiseLike: (a: number, b: number, c: number, d: number, e: number, f: number, g: number) => [number, number, number];
export const sniffImage: (a: number, b: number) => [number, number, number];
export const start: () => void;
export const wasm_bindgen__convert__closures_____invoke__h697259bcbfacc258: (a: number, b: number, c: any, d: any) => void;
export const wasm_bindgen__convert__closures_____invoke__ha11761071df2d9af: (a: number, b: number, c: any) => [number, number];
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_exn_store: (a: number) => void;
export const __externref_table_alloc: () => number;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __wbindgen_destroy_closure: (a: number, b: number) => void;
export const __externref_table_dealloc: (a: number) => void;
export const __wbindgen_start: () => void;
