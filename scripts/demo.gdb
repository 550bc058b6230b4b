# make demo: a scripted reverse-debugging session on the recorded demo.
set pagination off
set confirm off
echo \n== 1. Run the replay to the end of the recording.\n
continue
printf "balance at the end: %d (expected 550)\n", balance
echo \n== 2. Who broke it? Watch balance and run BACKWARDS until a deposit was negative.\n
watch balance
reverse-continue
while amount >= 0
  reverse-continue
end
printf "found it: deposit(%d), balance went from %d ...\n", amount, balance
bt
up
printf "... in round %d of main's loop\n", round
echo \n== 3. Step back one more line, then forward again: the same past, every time.\n
delete
down
reverse-step
next
printf "balance after the bad deposit: %d\n", balance
echo \n== 4. Back to the start of the recording, and where we are in it.\n
reverse-continue
when
