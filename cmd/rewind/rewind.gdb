# rewind: commands rr users know, for gdb attached to "rewind replay".
define when
  monitor when
end
document when
Print the current event number of the replay.
end
define when-ticks
  monitor when-ticks
end
document when-ticks
Print the current position in ticks (soft mode: the event).
end
define checkpoint
  if $argc == 0
    monitor checkpoint
  else
    monitor checkpoint $arg0
  end
end
document checkpoint
Remember the current point of the replay; "restart N" comes back to it.
end
define info-checkpoints
  monitor info checkpoints
end
define restart
  run c$arg0
end
document restart
Go back (or forward) to checkpoint N of the replay.
end
define seek-event
  run $arg0
end
document seek-event
Restart the replay at event N (see "when").
end
