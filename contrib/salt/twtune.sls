# Salt state: keep TIME_WAIT buckets from overflowing.
# twtune prints exactly one JSON object with "changed" and "comment"
# (--format salt), which cmd.run reads with stateful: True; in test mode
# (salt ... state.apply twtune test=True) the test_name command shows the
# plan without changing anything.
twtune:
  cmd.run:
    - name: twtune apply --format salt
    - stateful:
      - test_name: twtune apply --dry-run --format salt
