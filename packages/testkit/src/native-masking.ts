// Where the tests expect ws to mask WebSocket frames natively: the platforms
// bufferutil 4.1.0 ships a build for (its prebuilds/ directory), the optional
// dependency of @mpx/transport-ws and mpx-tunnel (docs/decisions/0017).

const BUFFERUTIL_PREBUILT = ['linux-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-ia32'];

/** `<platform>-<arch>` of this process, as bufferutil names its builds. */
export const PLATFORM = `${process.platform}-${process.arch}`;

/** True where bufferutil's native build loads, so ws masks and unmasks in native code. */
export const bufferutilPrebuilt = BUFFERUTIL_PREBUILT.includes(PLATFORM);
