# bench/assign/chart.gp: the chart of bench/run, from the data files that
# bench/assign/report.py writes. Run as
#   gnuplot -e "prefix='bench/out/<time>'; out='<file>.png'; subtitle='...'" bench/assign/chart.gp
# Three panels: exp_assign's time against each limit, the speed-up over the
# seed's CTE (both: bars for worker off and on, whiskers min-max of the
# per-repetition ratios, red dashes at the targets), and microseconds per
# row as cohorts grow from 10^3 to 10^6 users.

if (!exists("subtitle")) subtitle = ""
ratios = prefix . "_ratios.dat"
seed = prefix . "_seed.dat"
scaling_off = prefix . "_scaling_off.dat"
scaling_on = prefix . "_scaling_on.dat"

set terminal pngcairo size 1500,1100 font "DejaVu Sans,11" noenhanced
set output out
set multiplot title "exp_assign benchmark (bench/run)" . (subtitle ne "" ? "\n" . subtitle : "")

set style fill solid 0.75 border -1
set grid ytics lc rgb "#dddddd"
set xtics rotate by -20 left nomirror
set key top center horizontal
set offsets 0, 0, graph 0.15, 0
set bars 0.5
off_color = "#4477aa"
on_color = "#ee7733"
w = 0.36

# Panel 1: exp_assign / limit, lower is better.
set origin 0, 0.47
set size 1, 0.45
set title "exp_assign time / limit time (lower is better; red: target; page load existing: SELECT 1, target 1/0.6; \"the result alone\": the same ten rows as constants, no work)"
set ylabel "ratio"
set yrange [0:*]
set xrange [-0.6:*]
plot ratios using ($1 - 0.19):3:(w) with boxes lc rgb off_color title "worker off", \
     '' using ($1 - 0.19):3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, \
     '' using ($1 + 0.19):6:(w) with boxes lc rgb on_color title "worker on (keys queued)", \
     '' using ($1 + 0.19):6:7:8 with yerrorbars lc rgb "black" pt -1 notitle, \
     '' using ($1 - 0.45):9:(0.9):(0) with vectors nohead lw 3 dt 2 lc rgb "red" title "target", \
     '' using 1:(0):xtic(2) with points pt -1 notitle, \
     1 with lines lc rgb "#888888" dt 3 notitle

# Panel 2: seed CTE / exp_assign, higher is better.
set origin 0, 0
set size 0.5, 0.46
set title "speed-up over the seed's CTE (higher is better; target 1.5)"
set ylabel "seed time / exp_assign time"
set logscale y
set yrange [0.5:*]
plot seed using ($1 - 0.19):3:(w) with boxes lc rgb off_color title "worker off", \
     '' using ($1 - 0.19):3:4:5 with yerrorbars lc rgb "black" pt -1 notitle, \
     '' using ($1 + 0.19):6:(w) with boxes lc rgb on_color title "worker on", \
     '' using ($1 + 0.19):6:7:8 with yerrorbars lc rgb "black" pt -1 notitle, \
     '' using ($1 - 0.45):9:(0.9):(0) with vectors nohead lw 3 dt 2 lc rgb "red" title "target", \
     '' using 1:(1):xtic(2) with points pt -1 notitle
unset logscale y

# Panel 3: microseconds per row against cohort size.
set origin 0.5, 0
set size 0.5, 0.46
set title "cohort of new users: microseconds per row"
set ylabel "us per row (median)"
set xlabel "users in the cohort"
set logscale x
set xrange [500:2000000]
set yrange [0:*]
set xtics norotate center ("10^3" 1000, "10^4" 10000, "10^5" 100000, "10^6" 1000000)
set key top center horizontal maxcols 2 font ",9"
set offsets 0, 0, graph 0.45, 0
n_off = int(system("grep -c '^\"' " . scaling_off))
n_on = int(system("grep -c '^\"' " . scaling_on))
plot for [i=0:n_off - 1] scaling_off index i using 1:2 with linespoints lt (i + 1) lw 2 \
         title columnheader(1), \
     for [i=0:n_on - 1] scaling_on index i using 1:2 with linespoints lt (i + 1) dt 2 lw 2 \
         title columnheader(1)
unset multiplot
