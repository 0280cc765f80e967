"""The word lists behind the classifier's lexicon features, in many languages.

Data, not logic: features.py compiles them once into look-up sets.
"""

from __future__ import annotations

# Each lexicon is one feature: many languages and phrasings map to the same
# evidence, which a few hundred training examples could never cover word by word.
# Words and phrases are looked up in sets (a regex alternation of this size costs
# far more); entries ending in "*" match as prefixes.
WORD_LEXICONS: dict[str, str] = {
    "code": """code coding function función funcion fonction funktion class method bug debug
        compile compiler traceback exception stacktrace python javascript js typescript java
        rust golang go c++ c# kotlin swift ruby php haskell elixir scala verilog sql postgres
        mysql sqlite redis regex api endpoint refactor test tests pytest jest junit script skript
        algorithm algoritmo implement implementa implementiere repo repository git branch commit
        docker dockerfile kubernetes kubectl k8s pod bash shell css html react node npm pip
        django flask fastapi pandas yaml json nginx linux server async await thread mutex lock
        queue cache database query index array list dict dictionary string integer int variable
        loop recursion pointer segfault memory build ci pipeline library package framework
        frontend backend microservice microservices schema migration vim ssh terminal command
        функцию функция код программу скрипт
        cli bytecode vm jit parser lexer interpreter hash tree graph""",
    "math": """prove proof prueba demuestra demostrar montrer montre démontre beweise derive
        derivative integral integrate calculate calcula calcule berechne compute solve resuelve
        résous löse equation ecuación équation gleichung probability probabilidad probabilité
        wahrscheinlichkeit odds theorem lemma induction prime primes primo divisible
        integers entier fraction percent percentage median variance how_many how_much
        cuántos cuántas cuanto combien wie_viele quanto quantos
        logic puzzle riddle estimate fermi optimal optimize minimize maximize matrix eigenvalue
        eigenvalues series sequence suite km mph kg compounded velocity geometry triangle
        circle angle area volume perimeter
        statistically significant hypothesis sudoku knight knights knave knaves liar liars
        сколько посчитай вычисли докажи реши задача вероятность процент""",
    "creative": """story stories poem poems poetry haiku sonnet villanelle sestina limerick
        lyrics song rap verse rhyme rhymes novel chapter fiction fable fairy_tale screenplay
        monologue dialogue scene character roleplay worldbuilding villain plot twist slogan
        tagline caption headline name names brand motto pun puns joke jokes funny humor humour
        toast eulogy speech tweet post bio blurb ad advert copy description newsletter
        invitation card greeting message note letter ideas brainstorm creative imagine invent
        cuento historia poema canción rima eslogan frase histoire poème chanson conte
        geschichte gedicht lied reim spruch kurzgeschichte conto poesia legenda
        стихотворение стих стихи рассказ сказка песню песня придумай""",
    "write": """write draft compose create make_up come_up give_me escribe escreva escreve
        écris écrire schreib schreibe verfasse inventa""",
    "explain": """explain explica explique erkläre what_is what's what_are who when where why
        how_does how_do difference differences diferencia différence unterschied compare history
        causes meaning mean significa signifie bedeutet summarize summarise summary resume
        resumen résume résumé zusammen translate traduce traduis traduza übersetze pros cons
        advice tips should_i объясни почему что_такое чем_отличается расскажи""",
    "hard": """prove proof rigorous rigorously derive formal optimal complexity from_scratch
        distributed concurren* lock-free consisten* architecture architect design trade-off
        trade-offs tradeoffs scalab* production exactly strict strictly every each all compare
        contrast analyze analyse in_depth comprehensive end_to_end constraint constraints must
        at_least no_more without guarantee* failure_modes edge_cases benchmark simulat*
        equilibrium closed_form general generalize debate hypotheses hypothesis mechanism
        mechanisms implications consequences evidence walk_me demuestra riguros* analiza
        compara vergleich* beweise""",
    "topic": """history historical century war wars empire dynasty revolution treaty collapse
        crisis economy economic economics inflation recession tax taxes llc corporation
        s-corp salary offer negotiate negotiation raise career job interview resume landlord
        lease tenant visa immigration law legal lawyer court contract policy insurance
        mortgage pension retirement medical medicine doctor nurse symptom symptoms disease
        diagnosis treatment pathophysiology dose vet dog puppy cat pet diet sleep insomnia
        recipe cook cooking travel trip visit culture religion philosophy politics election
        government parliament congress constitution disaster accident climate biology
        evolution species chemistry physics planet invented invention origin named called
        designed influenced legacy founder geschichte historia histoire krieg guerra guerre
        crisis krise économie economía wirtschaft steuer impuesto impôt salario gehalt
        salaire médico arzt médecin enfermedad krankheit maladie""",
    "form": """screenplay script storyboard scene monologue sonnet villanelle sestina
        limerick haiku ode ballad acrostic double_dactyl double_dactyls lipogram palindrome
        palindromic fable parable picture_book bedtime toast eulogy vows roleplay role-play
        pretend you're_a play_the character characters persona tagline slogan catchphrase
        jingle knock_knock pun puns riddle out_of_office welcome_email product_description
        cover_letter less_cheesy more_fun punchier catchier funnier tone rewrite reword
        spruch werbetext gedicht poème cuento poema conto""",
    "limits": """must mustn't exactly at_least at_most no_more no_fewer without never only
        each every both neither none_of don't do_not avoid keep include including handle
        support supporting follow strict strictly within plus ensure guarantee explain
        justify prove show compare cite debe deben exactamente al_menos sin cada todos doit
        exactement au_moins sans chaque muss müssen genau mindestens ohne jede jeden jeder
        jedes deve exatamente pelo_menos""",
    "thanks": """thanks thank thx ty worked works_now that_was perfect awesome gracias merci
        danke obrigado obrigada""",
    "action": """my our prod staging server cluster account calendar inbox branch right_now
        current currently today's live""",
}

CJK_LEXICONS: dict[str, tuple[str, ...]] = {
    "code": tuple(
        [
            "代码",
            "函数",
            "程序",
            "脚本",
            "编程",
            "实现",
            "接口",
            "数据库",
            "コード",
            "関数",
            "プログラム",
            "スクリプト",
            "実装",
            "코드",
            "함수",
            "프로그램",
            "파이썬",
        ]
    ),
    "math": tuple(
        [
            "证明",
            "計算",
            "计算",
            "求",
            "多少",
            "几",
            "概率",
            "方程",
            "証明",
            "いくつ",
            "何人",
            "확률",
            "증명",
            "계산",
            "몇",
        ]
    ),
    "creative": tuple(
        [
            "诗",
            "故事",
            "小说",
            "歌词",
            "相声",
            "标语",
            "名字",
            "文案",
            "詩",
            "俳句",
            "短歌",
            "物語",
            "小説",
            "キャッチコピー",
            "名前",
            "歌詞",
            "소설",
            "이야기",
            "가사",
            "시를",
            "동시",
            "축하 메시지",
        ]
    ),
    "explain": tuple(
        [
            "什么",
            "为什么",
            "怎么",
            "介绍",
            "翻译",
            "区别",
            "是什么",
            "とは",
            "意味",
            "なぜ",
            "説明",
            "翻訳",
            "違い",
            "뭐예요",
            "차이",
            "왜",
            "설명",
            "번역",
        ]
    ),
    "hard": tuple(
        [
            "論じ",
            "比較",
            "証明",
            "分析",
            "比较",
            "论",
            "증명",
            "厳密",
            "严格",
            "伏線",
            "伏笔",
            "包袱",
            "至少",
            "以上",
        ]
    ),
}
