/*
 * bcryptprimitives.dll for the Wine test prefix only (packaging/wine), never
 * shipped. Go >= 1.22 on Windows loads bcryptprimitives.dll at start and
 * takes its ProcessPrng for crypto/rand and the runtime's random seeds; Wine
 * 8.0 (Debian 12) has no such DLL, so every Go program dies with "fatal
 * error: bcryptprimitives.dll not found". Windows 10+ has it. This one export
 * forwards to RtlGenRandom (advapi32's SystemFunction036), which Wine does
 * implement, from the system's random source.
 *
 * Built by the Wine tests with
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 * and copied into the throwaway prefix's system32, where Go looks for it
 * (Go loads system DLLs from system32 only).
 */
#include <windows.h>

BOOLEAN NTAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

/* ProcessPrng fills data with len random bytes; Windows documents it as
 * always returning TRUE. RtlGenRandom takes a ULONG, so larger requests are
 * split. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
