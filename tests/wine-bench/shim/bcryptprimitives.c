/*
 * bcryptprimitives.dll shim for Wine 8.
 *
 * Rust's Windows standard library (1.78 and later) imports ProcessPrng from
 * bcryptprimitives.dll. Wine 8 has no such DLL, so every Rust program fails to
 * start. This DLL exports ProcessPrng and fills the buffer with
 * RtlGenRandom (advapi32!SystemFunction036), which Wine implements.
 *
 * Built by steward-wine-bench with:
 *   x86_64-w64-mingw32-gcc -shared -O2 -o bcryptprimitives.dll \
 *       bcryptprimitives.c bcryptprimitives.def -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
