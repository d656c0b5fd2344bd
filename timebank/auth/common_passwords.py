"""Passwords that people choose first and attackers try first, refused when someone sets a password.

A modest list typed for this project: the classics of every leak list, the keyboard walks, the repeated and
counting digits, and the Chinese favourites (5201314 "I love you forever", woaini "I love you", 7758521, lucky 8s and
6s, pinyin names and places). Compared in lower case, so "Password1" is refused like "password1".
"""

COMMON_PASSWORDS = frozenset(
    """
    password password1 password12 password123 password1234 password! passw0rd p@ssw0rd p@ssword pa$$word pa55word
    mypassword secret12 secret123 changeme changeme1 default1 letmein letmein1 letmein123 letmein! trustno1 welcome
    welcome1 welcome123 whatever passport computer internet iloveyou iloveyou1 iloveyou2 iloveyou! iloveu1314
    loveyou1 lovelove loveme12 sunshine sunshine1 princess princess1 football football1 baseball basketball
    superman batman12 starwars monkey12 dragon12 master12 shadow12 michael1 michelle jennifer jessica1 ashley12
    nicole12 daniel12 matthew1 andrew12 joshua12 jordan23 charlie1 freedom1 access14 mustang1 harley12 ranger12
    thomas12 robert12 soccer12 hockey12 killer12 summer12 winter12 spring12 autumn12 summer2024 summer2025
    administrator administrator1 admin123 admin1234 admin12345 admin888 admin8888 root1234 root12345 test1234
    test12345 testtest guest123 user1234 qwertyui qwertyuiop qwerty12 qwerty123 qwerty1234 qwer1234 1234qwer
    1234qwerasdf qwe12345 qwe123456 qweasdzxc qweasd123 qwe123qwe 123qweasd 123qwe123 asdfghjk asdfghjkl asdf1234
    asd12345 asd123456 asdasdasd zxcvbnm1 zxcvbnma zxcvbnm123 zxc12345 zxc123456 zxczxczxc 1q2w3e4r 1q2w3e4r5t
    1q2w3e4r5t6y q1w2e3r4 q1w2e3r4t5 1qaz2wsx 1qaz2wsx3edc 1qazxsw2 1qazxsw23edc zaq12wsx zaq1zaq1 zaq1xsw2
    qazwsxedc qazwsx123 12qwaszx 1qa2ws3ed abcd1234 1234abcd abc12345 abc123456 abc123abc 123abc123 a1234567
    a12345678 a123456789 a123123123 aa123456 aa12345678 aaa11111 aaaa1111 1111aaaa a1b2c3d4 1a2b3c4d abcdefgh
    abcdefg1 1234567a 123456aa 123456abc 123456789a 123456789q q123456789 1234567890a 12345qwert aaaaaaaa
    aaaaaaa1 qqqqqqqq wwwwwwww zzzzzzzz 12345678 123456789 1234567890 0123456789 87654321 987654321 9876543210
    98765432 11111111 111111111 1111111111 00000000 000000000 0000000000 22222222 33333333 44444444 55555555
    66666666 666666666 6666666666 77777777 88888888 888888888 8888888888 99999999 999999999 12121212 11223344
    112233445566 11112222 00001111 12341234 12344321 12348765 12312312 123123123 123321123 123456123456 11221122
    12211221 321321321 456456456 789789789 741741741 10203040 13579246 24682468 13572468 1357924680 147258369
    147852369 159357456 159753456 789456123 741852963 963852741 123654789 147896325 16888888 18888888 168168168
    168888888 19491001 19800101 19850101 19880808 19900101 19950101 20000101 20080808 20100101 20200101
    5201314 52013141 52013145 5201314520 520520520 5211314 1314520 13145200 1314521 1314520520 7758521 77585210
    7758258 25251325 a5201314 w5201314 qq5201314 qq123456 qq1234567 123456qq woaini1314 woaini520 woaini521
    woaini123 woaini1314520 1314woaini woaiwojia woaimama woaibaba wodemima mima1234 mima123456 aini1314
    aishiteru zhang123 zhangwei wang1234 wangwei1 li123456 liu123456 chen1234 yang1234 zhao1234 huang123
    zhongguo zhongguo1 china123 chinese1 beijing1 beijing2008 shanghai shanghai1 nanjing1 jiangsu1 zhenjiang
    timebank timebank1 shijianyinhang volunteer volunteer1 zhiyuanzhe yanglao123 123456 1234567 111111 000000
    888888 666666 abc123 qwerty
    """.split()
)
