//go:build amd64 && !purego

#include "textflag.h"

// func dotQuantAVX2(a *int16, b *int8, n int) int32
//
// n is a positive multiple of 16. Each turn widens 16 int8s to int16 and
// multiplies them with 16 int16s of a, adding pairs into 8 int32 lanes
// (VPMADDWD); two accumulators, 32 values a turn while there are.
TEXT ·dotQuantAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	CMPQ CX, $32
	JLT  tail

loop32:
	VPMOVSXBW (DI), Y2
	VPMOVSXBW 16(DI), Y3
	VPMADDWD  (SI), Y2, Y2
	VPMADDWD  32(SI), Y3, Y3
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQ $32, DI
	ADDQ $64, SI
	SUBQ $32, CX
	CMPQ CX, $32
	JGE  loop32

tail:
	TESTQ CX, CX
	JZ    sum

loop16:
	VPMOVSXBW (DI), Y2
	VPMADDWD  (SI), Y2, Y2
	VPADDD    Y2, Y0, Y0
	ADDQ $16, DI
	ADDQ $32, SI
	SUBQ $16, CX
	JNZ  loop16

sum:
	VPADDD       Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0x4E, X0, X1
	VPADDD       X1, X0, X0
	VPSHUFD      $0xB1, X0, X1
	VPADDD       X1, X0, X0
	VZEROUPPER
	MOVQ X0, AX
	MOVL AX, ret+24(FP)
	RET
