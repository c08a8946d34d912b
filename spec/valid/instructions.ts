// Validation of instruction sequences — WebAssembly spec §3.3, checked with the algorithm of the
// appendix "Validation Algorithm": an operand stack whose entries may be Unknown, and a stack of
// control frames; after unreachable, br, br_table and return the rest of a block is
// stack-polymorphic (pops from its empty part yield Unknown).

import { ValidationError } from '../errors.js';
import { opcodes, walkExpr, type BlockType, type Expr, type Instr, type MemArg, type Opname } from '../structure/instructions.js';
import {
  isNumType, isRefType, refTypeOf, type FuncType, type ResultType, type ValType,
} from '../structure/types.js';
import { lookup, typeAt, type Context } from './context.js';

/** An operand type of the algorithm: a value type, or Unknown below a polymorphic stack. */
type OpdType = ValType | 'unknown';

interface CtrlFrame {
  readonly opcode: 'block' | 'loop' | 'if' | 'else' | 'func';
  readonly startTypes: ResultType;
  readonly endTypes: ResultType;
  readonly height: number;
  unreachable: boolean;
}

const isNum = (t: OpdType): boolean => t === 'unknown' || isNumType(t);
const isVec = (t: OpdType): boolean => t === 'unknown' || t === 'v128';
const isRef = (t: OpdType): boolean => t === 'unknown' || isRefType(t);

function show(ts: readonly OpdType[]): string {
  return `[${ts.join(' ')}]`;
}

/** §3.3.7: the width in bytes of a load or store, read from its name (`i64.load32_u` → 4,
 *  `v128.load16x4_s` → 8, `f64.store` → 8, `v128.load8_lane` → 1). */
function accessBytes(op: Opname): number {
  const m = /^(i32|i64|f32|f64|v128)\.(?:load|store)(\d+)?(?:x(\d+))?/.exec(op);
  if (m === null) throw new Error(`${op} is not a memory access`);
  const bits = m[2] === undefined ? Number(m[1]!.slice(1)) : Number(m[2]) * Number(m[3] ?? 1);
  return bits / 8;
}

/** Lanes of the vector shape that prefixes a lane instruction (`i16x8.extract_lane_s` → 8). */
function shapeLanes(op: Opname): number {
  return Number(/^[if]\d+x(\d+)\./.exec(op)![1]);
}

class Validator {
  private readonly vals: OpdType[] = [];
  private readonly ctrls: CtrlFrame[] = [];

  constructor(private readonly c: Context) {}

  private fail(msg: string): never {
    throw new ValidationError(`type mismatch: ${msg}`);
  }

  private top(): CtrlFrame {
    return this.ctrls[this.ctrls.length - 1]!;
  }

  private pushVal(t: OpdType): void {
    this.vals.push(t);
  }

  private popAny(): OpdType {
    const frame = this.top();
    if (this.vals.length === frame.height) {
      if (frame.unreachable) return 'unknown';
      this.fail('operand stack is empty');
    }
    return this.vals.pop()!;
  }

  private popVal(expect: OpdType): OpdType {
    const actual = this.popAny();
    if (actual !== expect && actual !== 'unknown' && expect !== 'unknown') {
      this.fail(`instruction requires ${expect} but stack has ${actual}`);
    }
    return actual;
  }

  private pushVals(ts: readonly OpdType[]): void {
    for (const t of ts) this.pushVal(t);
  }

  private popVals(ts: readonly OpdType[]): OpdType[] {
    const popped: OpdType[] = [];
    for (let i = ts.length - 1; i >= 0; i--) popped.unshift(this.popVal(ts[i]!));
    return popped;
  }

  private pushCtrl(opcode: CtrlFrame['opcode'], startTypes: ResultType, endTypes: ResultType): void {
    this.ctrls.push({ opcode, startTypes, endTypes, height: this.vals.length, unreachable: false });
    this.pushVals(startTypes);
  }

  private popCtrl(): CtrlFrame {
    const frame = this.top();
    this.popVals(frame.endTypes);
    if (this.vals.length !== frame.height) {
      this.fail(`block requires ${show(frame.endTypes)} but stack has ${show(this.vals.slice(frame.height))} more`);
    }
    this.ctrls.pop();
    return frame;
  }

  private labelTypes(frame: CtrlFrame): ResultType {
    return frame.opcode === 'loop' ? frame.startTypes : frame.endTypes;
  }

  /** `C.labels[l]`, counting from the innermost enclosing block. */
  private label(l: number): CtrlFrame {
    const frame = this.ctrls[this.ctrls.length - 1 - l];
    if (frame === undefined) throw new ValidationError(`unknown label ${l}`);
    return frame;
  }

  private unreachable(): void {
    const frame = this.top();
    this.vals.length = frame.height;
    frame.unreachable = true;
  }

  /** §3.2.2 block types: the instruction type [t1*] → [t2*] they denote. */
  private blockType(bt: BlockType): FuncType {
    if (bt === null) return { params: [], results: [] };
    if (typeof bt === 'string') return { params: [], results: [bt] };
    return typeAt(this.c, bt.typeidx);
  }

  /** §3.3.7 memarg: the memory exists, the alignment is at most natural, the offset fits in u32
   *  (3.0 reads 64-bit offsets and leaves the range to validation). */
  private memarg(op: Opname, memarg: MemArg): number {
    lookup('memory', this.c.mems, memarg.mem);
    const bytes = accessBytes(op);
    if (2 ** memarg.align > bytes) throw new ValidationError('alignment must not be larger than natural');
    if (memarg.offset > 0xffff_ffff) throw new ValidationError('offset out of range');
    return bytes;
  }

  private lane(lane: number, lanes: number): void {
    if (lane >= lanes) throw new ValidationError('invalid lane index');
  }

  private instr(instr: Instr): void {
    const c = this.c;
    switch (instr.op) {
      case 'unreachable':
        this.unreachable();
        return;
      case 'nop':
        return;
      // Structured instructions open a frame here; `body` walks their arms and closes it.
      case 'block':
      case 'loop': {
        const ft = this.blockType(instr.bt);
        this.popVals(ft.params);
        this.pushCtrl(instr.op, ft.params, ft.results);
        return;
      }
      case 'if': {
        const ft = this.blockType(instr.bt);
        this.popVal('i32');
        this.popVals(ft.params);
        this.pushCtrl('if', ft.params, ft.results);
        return;
      }
      case 'br':
        this.popVals(this.labelTypes(this.label(instr.label)));
        this.unreachable();
        return;
      case 'br_if': {
        const ts = this.labelTypes(this.label(instr.label));
        this.popVal('i32');
        this.popVals(ts);
        this.pushVals(ts);
        return;
      }
      case 'br_table': {
        this.popVal('i32');
        const defaultTypes = this.labelTypes(this.label(instr.default));
        const arity = defaultTypes.length;
        for (const l of instr.labels) {
          const ts = this.labelTypes(this.label(l));
          if (ts.length !== arity) this.fail(`br_table targets of arities ${ts.length} and ${arity}`);
          this.pushVals(this.popVals(ts));
        }
        this.popVals(defaultTypes);
        this.unreachable();
        return;
      }
      case 'return':
        if (c.return === undefined) this.fail('return outside a function');
        this.popVals(c.return);
        this.unreachable();
        return;
      case 'call': {
        const ft = lookup('function', c.funcs, instr.func);
        this.popVals(ft.params);
        this.pushVals(ft.results);
        return;
      }
      case 'call_indirect': {
        const tt = lookup('table', c.tables, instr.table);
        const ft = typeAt(c, instr.type);
        if (tt.reftype !== 'funcref') this.fail(`call_indirect requires a funcref table, table has ${tt.reftype}`);
        this.popVal('i32');
        this.popVals(ft.params);
        this.pushVals(ft.results);
        return;
      }
      case 'drop':
        this.popAny();
        return;
      case 'select': {
        if (instr.types !== undefined) {
          if (instr.types.length !== 1) throw new ValidationError('invalid result arity');
          const t = instr.types[0]!;
          this.popVal('i32');
          this.popVal(t);
          this.popVal(t);
          this.pushVal(t);
          return;
        }
        // Plain select only on numeric or vector operands (§3.3.4): references need the typed form.
        this.popVal('i32');
        const t1 = this.popAny();
        const t2 = this.popAny();
        if (!((isNum(t1) && isNum(t2)) || (isVec(t1) && isVec(t2)))) {
          this.fail(`select requires numeric or vector operands, stack has ${show([t2, t1])}`);
        }
        if (t1 !== t2 && t1 !== 'unknown' && t2 !== 'unknown') this.fail(`select operands ${t2} and ${t1} differ`);
        this.pushVal(t1 === 'unknown' ? t2 : t1);
        return;
      }
      case 'local.get':
        this.pushVal(lookup('local', c.locals, instr.local));
        return;
      case 'local.set':
        this.popVal(lookup('local', c.locals, instr.local));
        return;
      case 'local.tee': {
        const t = lookup('local', c.locals, instr.local);
        this.popVal(t);
        this.pushVal(t);
        return;
      }
      case 'global.get':
        this.pushVal(lookup('global', c.globals, instr.global).type);
        return;
      case 'global.set': {
        const gt = lookup('global', c.globals, instr.global);
        if (!gt.mut) throw new ValidationError('immutable global');
        this.popVal(gt.type);
        return;
      }
      case 'table.get':
        this.popVal('i32');
        this.pushVal(lookup('table', c.tables, instr.table).reftype);
        return;
      case 'table.set':
        this.popVal(lookup('table', c.tables, instr.table).reftype);
        this.popVal('i32');
        return;
      case 'table.grow':
        this.popVal('i32');
        this.popVal(lookup('table', c.tables, instr.table).reftype);
        this.pushVal('i32');
        return;
      case 'table.fill':
        this.popVal('i32');
        this.popVal(lookup('table', c.tables, instr.table).reftype);
        this.popVal('i32');
        return;
      case 'table.size':
        lookup('table', c.tables, instr.table);
        this.apply(opcodes[instr.op].sig);
        return;
      case 'ref.null':
        this.pushVal(refTypeOf(instr.heaptype));
        return;
      case 'ref.is_null': {
        const t = this.popAny();
        if (!isRef(t)) this.fail(`ref.is_null requires a reference type but stack has ${t}`);
        this.pushVal('i32');
        return;
      }
      case 'ref.func':
        lookup('function', c.funcs, instr.func);
        // §3.3.2: only functions declared outside function bodies (C.refs) may be referenced.
        if (!c.refs.has(instr.func)) throw new ValidationError(`undeclared function reference ${instr.func}`);
        this.pushVal('funcref');
        return;
      default:
        this.fixed(instr, instr.op);
    }
  }

  /** Instructions whose type is fixed (`opcodes[op].sig`) after their immediates check out;
   *  `op` is `instr.op`, narrowed by the caller's switch, so an opcode without a `sig` that no case
   *  handles is a compile error. */
  private fixed(instr: Instr, op: FixedOp): void {
    const c = this.c;
    switch (instr.op) {
      case 'memory.size':
      case 'memory.grow':
      case 'memory.fill':
        lookup('memory', c.mems, instr.mem);
        break;
      case 'memory.copy':
        lookup('memory', c.mems, instr.dst);
        lookup('memory', c.mems, instr.src);
        break;
      case 'memory.init':
        lookup('memory', c.mems, instr.mem);
        lookup('data segment', c.datas, instr.data);
        break;
      case 'data.drop':
        lookup('data segment', c.datas, instr.data);
        break;
      case 'table.copy': {
        const dst = lookup('table', c.tables, instr.dst);
        const src = lookup('table', c.tables, instr.src);
        if (dst.reftype !== src.reftype) this.fail(`table.copy from ${src.reftype} to ${dst.reftype}`);
        break;
      }
      case 'table.init': {
        const tt = lookup('table', c.tables, instr.table);
        const et = lookup('elem segment', c.elems, instr.elem);
        if (tt.reftype !== et) this.fail(`table.init of ${et} into ${tt.reftype}`);
        break;
      }
      case 'elem.drop':
        lookup('elem segment', c.elems, instr.elem);
        break;
      case 'i8x16.shuffle':
        for (const l of instr.lanes) this.lane(l, 32);
        break;
      default:
        if ('memarg' in instr) {
          const bytes = this.memarg(instr.op, instr.memarg);
          if ('lane' in instr) this.lane(instr.lane, 16 / bytes);
        } else if ('lane' in instr) {
          this.lane(instr.lane, shapeLanes(instr.op));
        }
    }
    this.apply(opcodes[op].sig);
  }

  private apply([params, results]: readonly [ResultType, ResultType]): void {
    this.popVals(params);
    this.pushVals(results);
  }

  /** Checks `instrs` as the body of a block of type [] → `results` (a function body or a
   *  constant expression): the outermost frame is the function's own label. */
  static body(c: Context, instrs: Expr, results: ResultType): void {
    const v = new Validator(c);
    v.pushCtrl('func', [], results);
    walkExpr(instrs, {
      instr: (i) => v.instr(i),
      // An absent else is an empty one: it then must map the params to the results (§3.3.8).
      else: () => {
        const then = v.popCtrl();
        v.pushCtrl('else', then.startTypes, then.endTypes);
      },
      end: () => v.pushVals(v.popCtrl().endTypes),
    });
    v.popCtrl();
  }
}

/** Instructions with a fixed signature in the opcode table. */
type FixedOp = { [O in Opname]: (typeof opcodes)[O] extends { readonly sig: unknown } ? O : never }[Opname];

/** §3.3.9 an instruction sequence `instrs` valid with type [] → `results` under `c`. */
export function validateBody(c: Context, instrs: Expr, results: ResultType): void {
  Validator.body(c, instrs, results);
}
