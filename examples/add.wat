;; A small module for trying wasmo: `wasmo run --invoke add examples/add.wat 2 3` prints 5.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))

  ;; Factorial with i64 arithmetic: `--invoke fac 20` prints 2432902008176640000.
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))

  (func (export "div") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))

  (func (export "sqrt") (param f64) (result f64)
    (f64.sqrt (local.get 0))))
