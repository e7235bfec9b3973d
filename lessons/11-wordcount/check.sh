# shellcheck shell=bash disable=SC2034  # ARGS, TOLERANCE, ... are read by lessons/check.sh
# Checker for lesson 11-wordcount (sourced by lessons/check.sh).
# Input: text with a 9000-byte run of control bytes near the start, so every rank boundary
# at 2 to 7 ranks falls inside a word whose start lies ranks back; plus tabs, CRLF, bytes
# >= 0x80 and ordinary English. Reference: LC_ALL=C wc on the same file.
ARGS=(input.txt)
setup() {
    {
        printf 'x'
        head -c 9000 /dev/zero | tr '\0' '\001'
        printf 'y z\r\n\tthe\200quick brown\n\n'
        for i in $(seq 1 200); do printf 'word%d and-more\tof it\n' "$i"; done
    } >input.txt
}
reference() { LC_ALL=C wc input.txt | awk '{ printf "lines %d\nwords %d\nbytes %d\n", $1, $2, $3 }'; }
hint() {
    case $1 in
    bytes) echo "print the file's size from MPI_File_get_size" ;;
    lines) echo "each rank must read its own block: MPI_File_read_at_all(file, first, bytes, count, MPI_BYTE, MPI_STATUS_IGNORE) on every rank, then MPI_Reduce the counts" ;;
    words)
        if [ "$2" = 1 ]; then
            echo "read the block (MPI_File_read_at_all) and reduce the counts; count a word at each printable byte that follows a space (or the block start) with only neutral bytes between"
        else
            echo "a word that crosses into my block was counted twice: MPI_Exscan(&map, &before, 1, MPI_INT, compose_op, MPI_COMM_WORLD) gives the state before my block; subtract 1 when it is SET and my first significant byte is printable"
        fi ;;
    *) echo "compare with the diagram at the top of solution.c" ;;
    esac
}
